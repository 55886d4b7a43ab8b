import { spineSuite } from './spine.suite.js';

spineSuite('embedded');
