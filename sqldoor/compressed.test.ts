import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CompressedFormatError,
  MAX_BLOCK_SIZE,
  METHOD_LZ4,
  cityHash128,
  cityHash128Pair,
  compressBlock,
  createCompressStream,
  decodeCompressedBlocks,
} from './compressed.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** The patterned input the fixed-length vectors were computed on: byte i = (i * 31 + 7) & 255. */
const pat = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);

// Computed with the Python reference (PyPI clickhouse-cityhash 1.0.2.6, CityHash128), written
// in ClickHouse wire order: struct.pack('<QQ', h >> 64, h & (2**64 - 1)), i.e. first then
// second, each UInt64 little-endian.
const FIXED: [number, string][] = [
  [0, '2b9ac064fc9df03d291ee592c340b53c'],
  [1, '400ece9c375be58bba1c8b474447ab05'],
  [3, '94f2b07bdade07e4bdf1276e140d3a0a'],
  [8, 'a036812047caa4f5abe5463d5b57d43d'],
  [15, '15abd9635c0656d9737b03d0adca2396'],
  [16, '487f4b5675323a3f0bc6ba167a2a8ab4'],
  [17, 'a2e0b28bf64be3ae870bf0550591d6e0'],
  [31, '63edfaece5937f9b6b0dfb5401e446d6'],
  [32, '61adbf07808c0e25dbe86a77b68624e4'],
  [33, '20b5f37a055b494eb51084f1241daeab'],
  [63, '10a102345bb31d36c535822dff6fbf51'],
  [64, '02dc73b333cf25e2966d2d15e52c258d'],
  [65, 'dea4cf99f8c76afd5205d394a86fc64d'],
  [127, '418cce068adc44c2a62936b3f62c0ef3'],
  [128, '4623f3700c3c86ba0a173c6ffc56b124'],
  [129, 'f1e28e4c069885230b41f73e26b9896c'],
  [200, '4bf285f8a4c9b567872408584af5a0b4'],
  [1000, '7ead727995f47f59e110c0d7aba4397f'],
  [4096, '8f6708d1cf1ed11bbb33429024503d72'],
];

// [input hex, hash] — random bytes (Python random.Random(20240607)).
const RANDOM: [string, string][] = [
  ['906e8c867d', '15828ed2d7935456df963c51312a111d'],
  ['1e9b3f92cb3b2dbd5720ba4806e8a997e2a670eab5987fde', '4572001f88c493a9030cb8f2fd7be8e0'],
  ['0b4d888d372c183a2d096a2642e037a14e80407d1d4bb4224d7df77118d89c839feae0cbad77f77435569951ada9a581727387b43dbbbbf63e799c60fbc8627b7fc2f360ce0b5757d7fc027630b6fe13105807347be763bac8e98837d0b1daa1c4d6aade', '880cbfe03035db703eecfba4fd05d923'],
  ['86fe403c0cbebdf6ae8d37618df19bcf9e2dd62b7841747b3a40f59c5e3070d413d236f795032eb0137edfffb160cbc57cafc87004482043c9b8974efd03628b0954bb189b6a13b7293957c424bfa12f6987906478881c30f3800645222e00e9f5563f9a71367b27324b26b72be81953633018a29348ab533a7608282a663f93817521cb39fa5ac09a190091103ea9fda8477d73962342f5d96eb4e26aa2615bb489eedce16f9cef2567c141b50c78dd53894ed51b35d7ce447ff2550152b9930508a6b2b26a3db197a40697c512b8f32ad22e9178a3238db2b7ce8fe931089c98d2309addb25d58749b1a176f841a4093db29076c6f48245347', '605765bb4970be1907722b4c30bff017'],
  ['2448b94c60a33f876c7151e4899720ffd280684c07147e7b80c54b3c592a5794597719c4841251127f34285d0467e51d9e8e59b738ab2cf3a0e96aa4855b83ed95747bce158cfb84d3d120b93f4443ee58ef50b26711d11644b8864af9356c080a7c6859fe14a11236d06badbf94993c11798f9c7dacf6e96966c5b5350feb929ca9f54e6a274b14775354ad2a4a440bec89b4dd09914107136510f37bc9e46a44b0f1ad0a93227ebc6f03f2911916fe548ed3852a5a7c6935b83cbfd61ea5cc3ee546ec13094da98416bb27f502cabcd07900b0ca298df7374e8bc8fa1807b8d442925b466d9ee5f22b5de48fe2026ed5ea6ed77308f784bf1755a1cc8825ff20f5ec0bbb6489a84c79868ab57b446ba1da3277b2063aedc61d10f02d579eab587bd61d323ec66b7315e97c57480018fd097538b826960151637ae21d19f37235901e838f701f5f10d4773d58f307b8be5a599709c546e26683c42f421eb3428442401545662d169806301cd3ba7f8db1ebc8d43ba492b0152b9a6e47c0f5e2d4d1657b1c9f2bd330cfa59c9a4575ebf2da2643b378bb25966e3bf7b8bfc9225247e746f9a4d4bfaebbff7edf6840cd36b0aa7cbdc4cf412ec666ec2bea50cf24ce76b0ea65334f39198533878296bd5b8823b16270d9e019c3a28dbcb30d8f4727eb8273e2e0596633d560c6b1234e2c92a24d16fadcb9de1ff9db7ce58f9fbad62a90c583f33d813df69e4db7d7b39105c8905ef93be33988cc39ae80b40d3b4973a198ae9e1e77400694f49f7842d5af5e38c392f1a81ff50e57671e162394a082ccd777467165a50b98b25130d6096f0ff3bcabeb696f1715c03a9ec9aa933ce88be90837a7d332560ef4a6652f1310fb0739a87942833804ab1a365ae248ae0879aa91f8af9168b6d8cb72f73a861160bd16dbaf169dbef4e90b1dea305bf09cc5b224814e9050ac2d2f3d7f0e342df4fc0739b2e65e7a4dba8ba86cc2ed15cea1cb6fb54d97f197956cadd6c4ec819b3a7baf6d8cbae51e67c8234a7d85252cf014484aa4c1306fda44d605e0b0414b3964e79ae030b97e51e48bc39f22cae16c9cf60e5a36', '5e1a30735897cbf9a05db5846ea88ef3'],
  ['6bdfc043824cc3f7ebf54259cebafe88e3227cd38d6ede4904d84287458095ba4031114241dccb0871ca4127d39d3ff98f156b4a3585d586f55ae49f27c535eb756a9d592743a5a06ac67012bc3b0a6f2b3b3a031dd1f34991ed0c94400df43953c5609a70e24971832faab92d09b6d13a9dddf0a1556dee9c5d871d68444890309d1d76a790f16dd4433c175880815bf8429aff13a1046dacf39ee76260be23ad9fecddb1db36041a44e0b4aae533ae2591e890890ccbb99b800dca680b1f131db3cda359fee1f79d5c927c1acd70f495a86b34fd3d9b25abc06ebd9dbc24ea000e28b6e59d0f20638c63fb7c1789f30ee8ecafe9e20c1c3ad2a55f8dd576e5a28e868844adba159c453aa2483469bb92443fa0e9c660fcadc123e9513097e00397166d7715d817f85bb212b6f2b7d392ba3f397bd9b55f17805009f5eebc79f14bec5ca437cec8e17c74c54f69217b140ee7401f2d7079910deec148a858ae7124effbfdefdc77bdb50ad8673f340dc9c40c54aa2b7fc79de11dcfc85077be973963cf1cfe2d1e163b41033122bf92718303a235c107001a3f717ea1f2003926c89febf84cb821060653caf97b121995a4ce3e14f3547515e576b1e384349b4e5cdebc57794be23ff4ccf156500f0f86ae6fea8641b515aa8b8f0a6590d6978b2a739ba38a9240f4f0bb2086935747b9e608ce383d71a3c0153744a836d4d214a62f39fd47f51eeceebd3f42598a35ad5fbda4e6c88f9875bc0237b45c23d379b3ffaaf1a01f4083cf5b691c0ebba3e8189e6f5dd0ce56ffe0070e749d4b7cb2887b9a939ef9888a8aae1acd1ea70586e29b5fe6646b3d06ed1114b1fafdf3b7e6da7532d422915e22a027030db1d60222681154ece52b5b6e8ce073afc8f579b6755b3c438ac6b4c67b34782467819484a7f5aa56c393e7fc109f0245c63c5a055a3e22ab516eef2fc39ea3f1ea24a2d77c40420cffc8277d507de8b5637a1ba802e970a9b90b37d68f037020bb3d3aec1dc542fed81bd553102154685e36dc7f96d29fef30b6357149a1d9a403125b9fa47d2417e5d88a56fe2fabc5a7b989da56e6feaee34d28f6ad004c8d9309da4522ed01352a7022e57055a442e4262d8e7ef76721f2ebd069558f0f0b093c54bdc2e35579a08cefe62bda221b1efa84c80c5f02552dfbd726ec0c151ab5608b08c7fe2d78afaaa571557b661746a4f838f4a801d7966e5ea184bef5fbcb722679f4f8de4e0cec8d47a76ae1c0c02ff98180dc55c35c65f6be7ea097a853bcc720ce7e151ca76fd6e3abeecdc3fdabee9fe32a3a9f8b303daa9cfe2bcab54f3e52c48d822e63681cfc8cbfe77011dee5a946f000e360e9cfafd3bd671b2706e4f96ce005d4d617c137d12fd3b3867e76fffdfe2decacbfc847fc9fbfd77412bb8031dc3b7ae51d072e5f1ccbb31d938e1b138fa91717c81f82ef415f6fc147df4706ffa600132f1a6b8cfff6dd9796f5b2c118dc7a1f03dc73fa76e2fde6454435134b95ac5247c65a17994f3ba1a8e87b9a658e08c74acbcf56d6c7fcf98516444f065c582344fcb85df574b5cc16fb594a956a981efeaa69f821f050f2885c5f9f962403961beb5a549ddac7ee745683d3590bafd1a27eed476968e3fb81985c8c5e25271a3f7faed9751bd12a5c795da7ef56a52034a53e6ed0757b6a1a8ba24e4b546ca99dde122a2ddfd72d314f0adce72a99e08390814d6423a9d2889537b2e6736dee497c92b651ea6402be6f650c74b492dc3453670c6dafe76c7329626ff04e5c3f695797a98ba2e380f68ee2588923607d0fcb6df70222fcb2c4b9ef1aecc77b667d50ac12da75d97a3eb6bd651a0ec5c7e8c182709d8f97855a486e4abcaf3f3f203ff85216c56185f9aa81a9412e08add65b83713f3f4984d5017f599c4ea6f5e1f27ddcc85a11b671cef6aabed2737ac1ad1e2d47d1e84b327ca2a325525bda67cc8ea4558f1e428a79bd905678959d65f3900086f5271d99ba504ec711d042259286b25129474e0645b21acf78a6b1489455a454becb8ae037310356b573b3e54e96329fe6d47895bda79e5f4ae050c03a2fa79198e34ae492cc3c0650f9de69f560071a', 'b36d3350ae2aa903116e78ac9687884d'],
];

// One block produced by clickhouse_driver's own Compressor (lz4.block.compress, with real LZ4
// matches) for 'SELECT 1 FORMAT RowBinaryWithNamesAndTypes; ' * 4 + 'hello'.
const REFERENCE_FRAME =
  '335458413a1c8bbfb4febcede7818d008240000000b5000000ff1d53454c454354203120464f524d415420' +
  '526f7742696e617279576974684e616d6573416e6454797065733b202c00715068656c6c6f';
const REFERENCE_TEXT = 'SELECT 1 FORMAT RowBinaryWithNamesAndTypes; '.repeat(4) + 'hello';

/** Decodes blocks read from stdin with clickhouse_driver's decompressor (checks CityHash128). */
const PY_DECODE = `
import sys
from io import BytesIO
from clickhouse_driver.compression import get_decompressor_cls
from clickhouse_driver.reader import read_binary_uint128, read_binary_uint8
raw = sys.stdin.buffer.read()
s = BytesIO(raw)
out = bytearray()
blocks = 0
while s.tell() < len(raw):
    h = read_binary_uint128(s)
    m = read_binary_uint8(s)
    out += get_decompressor_cls(m)(s).get_decompressed_data(m, h, 1)
    blocks += 1
sys.stderr.write('blocks=%d\\n' % blocks)
sys.stdout.buffer.write(bytes(out))
`;

/** clickhouse_driver's own decompressor, from the Python venv test/clients/setup.sh installs (PyPI, pinned). */
function referencePython(): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const setup = spawnSync('bash', [join(root, 'test/clients/setup.sh'), 'python'], { stdio: 'inherit', timeout: 600_000 });
  if (setup.status !== 0) throw new Error('test/clients/setup.sh python failed');
  return join(root, 'test/clients/python/.venv/bin/python');
}

async function collect(chunks: Uint8Array[], maxBlockSize?: number): Promise<Buffer> {
  const stream = createCompressStream(maxBlockSize === undefined ? {} : { maxBlockSize });
  const src = new PassThrough();
  const out: Buffer[] = [];
  stream.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  src.pipe(stream);
  for (const c of chunks) src.write(c);
  src.end();
  await done;
  return Buffer.concat(out);
}

/** Walks block headers, returning each block's uncompressed size. */
function blockSizes(stream: Uint8Array): number[] {
  const dv = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const sizes: number[] = [];
  for (let pos = 0; pos < stream.length; pos += 16 + dv.getUint32(pos + 17, true)) {
    expect(stream[pos + 16]).toBe(METHOD_LZ4);
    sizes.push(dv.getUint32(pos + 21, true));
  }
  return sizes;
}

describe('cityHash128 (v1.0.2)', () => {
  it.each(FIXED)('matches the reference for length %i', (n, expected) => {
    expect(hex(cityHash128(pat(n)))).toBe(expected);
  });

  it.each(RANDOM.map(([d, h]) => [d.length / 2, d, h] as const))(
    'matches the reference for random bytes, length %i',
    (_n, data, expected) => {
      expect(hex(cityHash128(Buffer.from(data, 'hex')))).toBe(expected);
    },
  );

  it('puts uint128.first first (Python int high half = first)', () => {
    // clickhouse_cityhash.CityHash128(b'abc') == 0x900ff195577748fe13a9176355b20d7e
    const { first, second } = cityHash128Pair(new TextEncoder().encode('abc'));
    expect(first).toBe(0x900ff195577748fen);
    expect(second).toBe(0x13a9176355b20d7en);
  });

  it('hashes a subarray view the same as a copy', () => {
    const big = randomBytes(5000);
    const view = big.subarray(3, 4003);
    expect(hex(cityHash128(view))).toBe(hex(cityHash128(Uint8Array.from(view))));
  });
});

describe('compressBlock', () => {
  it('frames: checksum, 0x82, sizes, literal-only LZ4 block', () => {
    const data = new TextEncoder().encode('hello');
    const block = compressBlock(data);
    const dv = new DataView(block.buffer);
    expect(block.length).toBe(16 + 9 + 1 + 5);
    expect(block[16]).toBe(0x82);
    expect(dv.getUint32(17, true)).toBe(9 + 6);
    expect(dv.getUint32(21, true)).toBe(5);
    expect(block[25]).toBe(0x50); // token: 5 literals, no match
    expect(hex(block.subarray(0, 16))).toBe(hex(cityHash128(block.subarray(16))));
  });

  it.each([0, 1, 14, 15, 16, 269, 270, 271, 524, 525, 1000, 65536, 300_000])(
    'round-trips %i bytes through the decoder',
    (n) => {
      const data = randomBytes(n);
      expect(Buffer.from(decodeCompressedBlocks(compressBlock(data))).equals(data)).toBe(true);
    },
  );

  it('decoder reads a reference frame from clickhouse_driver (LZ4 with matches)', () => {
    const out = decodeCompressedBlocks(Buffer.from(REFERENCE_FRAME, 'hex'));
    expect(Buffer.from(out).toString()).toBe(REFERENCE_TEXT);
  });

  it('decoder rejects a corrupted block', () => {
    const block = compressBlock(randomBytes(100));
    block[40] = block[40]! ^ 1;
    expect(() => decodeCompressedBlocks(block)).toThrow(CompressedFormatError);
    const badSum = compressBlock(randomBytes(100));
    badSum[0] = badSum[0]! ^ 1;
    expect(() => decodeCompressedBlocks(badSum)).toThrow(/checksum/);
  });
});

describe('createCompressStream', () => {
  it('frames each chunk and splits chunks over 1 MiB', async () => {
    const a = randomBytes(10);
    const b = randomBytes(MAX_BLOCK_SIZE * 2 + 5);
    const c = Buffer.alloc(0);
    const d = randomBytes(MAX_BLOCK_SIZE);
    const out = await collect([a, b, c, d]);
    expect(blockSizes(out)).toEqual([10, MAX_BLOCK_SIZE, MAX_BLOCK_SIZE, 5, MAX_BLOCK_SIZE]);
    expect(Buffer.from(decodeCompressedBlocks(out)).equals(Buffer.concat([a, b, d]))).toBe(true);
  });

  it('honours maxBlockSize', async () => {
    const data = randomBytes(1000);
    const out = await collect([data], 300);
    expect(blockSizes(out)).toEqual([300, 300, 300, 100]);
    expect(Buffer.from(decodeCompressedBlocks(out)).equals(data)).toBe(true);
  });

  it('output decodes with the Python reference (clickhouse_driver, checksums verified)', async () => {
    const py = referencePython();
    const data = Buffer.concat([randomBytes(70_000), Buffer.from('x'.repeat(5000))]);
    const out = await collect([randomBytes(0), data.subarray(0, 12345), data.subarray(12345)], 32768);
    const r = spawnSync(py, ['-c', PY_DECODE], { input: out, maxBuffer: 1 << 26 });
    expect(blockSizes(out)).toEqual([12345, 32768, 62655 - 32768]);
    expect(r.stderr.toString()).toContain('blocks=3');
    expect(r.status).toBe(0);
    expect(r.stdout.equals(data)).toBe(true);
  });
});
