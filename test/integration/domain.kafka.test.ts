import { domainSuite } from './domain.suite.js';

domainSuite('kafka');
