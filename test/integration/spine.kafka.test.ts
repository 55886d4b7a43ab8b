import { spineSuite } from './spine.suite.js';

spineSuite('kafka');
