import { domainSuite } from './domain.suite.js';

domainSuite('embedded');
