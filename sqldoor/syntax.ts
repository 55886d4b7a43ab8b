/**
 * The engine's own views of a statement, as trees: `EXPLAIN AST` (the parser's) and
 * `EXPLAIN QUERY TREE` (the analyzer's: names resolved, `*` expanded, CTEs inlined).
 * Both print one node per line, indented by depth; nothing here reads the user's SQL text.
 */

export interface Node {
  line: string;
  kind: string;
  depth: number;
  parent: Node | null;
  children: Node[];
}

/** Lines as TSV rows print them (tabs and newlines inside are escaped), indented by `indent` spaces a level. */
export function parseTree(text: string, indent: number): Node {
  const root: Node = { line: '', kind: '', depth: -1, parent: null, children: [] };
  const stack: Node[] = [root];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const spaces = raw.length - raw.trimStart().length;
    const line = raw.trimStart();
    const depth = Math.floor(spaces / indent);
    while (stack.length > 1 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const parent = stack[stack.length - 1]!;
    const node: Node = { line, kind: line.split(/[ ,]/)[0]!, depth, parent, children: [] };
    parent.children.push(node);
    stack.push(node);
  }
  return root;
}

export function* walk(node: Node): Generator<Node> {
  for (const child of node.children) {
    yield child;
    yield* walk(child);
  }
}

/** `Function name (children 1)` → name; `TableIdentifier db.t (alias x)` → db.t. */
export const astArgument = (node: Node): string => node.line.split(' ')[1] ?? '';

/** `TABLE id: 3, alias: __table1, table_name: db.t` → { id: '3', table_name: 'db.t', ... }. */
export function treeFields(node: Node): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of node.line.slice(node.kind.length).split(', ')) {
    const at = part.indexOf(': ');
    if (at > 0) fields[part.slice(0, at).trim()] = part.slice(at + 2);
  }
  return fields;
}
