/** @custodes/custodian: one custodian node (DESIGN.md §2, §3.6, §4, §5). */
export { createCustodian, type Custodian, type CustodianConfig } from './custodian';
export { initCustodian, type InitOptions, type InitResult } from './init';
export { CustodianError, type CustodianCode } from './errors';
export { parsePolicy, readPolicyFile, evaluatePolicy, type Policy, type PolicyVerdict } from './policy';
export { type ReleaseAnswer } from './release';
