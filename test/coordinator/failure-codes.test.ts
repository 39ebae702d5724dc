/**
 * Failure codes are string-literal unions end to end (STYLE.md, after
 * sigstore-js: a code union per layer), from where they are produced to the
 * repository and the API view: a typo is a compile error. Checked by
 * `tsc -p tsconfig.json` (the `@ts-expect-error` lines fail it if a code
 * widens back to `string`), and the stored values by the at-rest and
 * failure tests.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { EnvelopeFailureCode, RejectReason } from '../../services/coordinator/src/rules/requestChecks';
import type { RequestProgress, RequestResults } from '../../services/coordinator/src/actions/requests';
import type { ErrorDetails } from '../../services/coordinator/src/errors';
import type { Repository, RequestRow, ResultRow } from '../../services/coordinator/src/repo/repository';
import type { RequestFailureCode } from '../../services/coordinator/src/workflow/decryption';
import type { CustodianCode } from '../../services/custodian/src/errors';
import type { ReleaseLogRow } from '../../services/custodian/src/store';

describe('failure codes', () => {
  it('a request ends with one of its failure codes, stored and shown as such', () => {
    expectTypeOf<RequestFailureCode>().toEqualTypeOf<'QUORUM_UNAVAILABLE' | 'NOT_ENOUGH_CUSTODIANS'>();
    expectTypeOf<Repository['failRequest']>().parameter(1).toEqualTypeOf<RequestFailureCode>();
    expectTypeOf<RequestRow['errorCode']>().toEqualTypeOf<RequestFailureCode | null>();
    expectTypeOf<NonNullable<RequestProgress['error']>['code']>().toEqualTypeOf<RequestFailureCode>();
    // @ts-expect-error a misspelt code is not a RequestFailureCode
    const typo: RequestFailureCode = 'NOT_ENOUGH_CUSTODIAN';
    void typo;
  });

  it('an envelope fails with a protocol code or UNKNOWN_EPOCH', () => {
    expectTypeOf<'NOT_ENOUGH_PARTIALS'>().toExtend<EnvelopeFailureCode>();
    expectTypeOf<'UNKNOWN_EPOCH'>().toExtend<EnvelopeFailureCode>();
    expectTypeOf<Repository['putResult']>().parameter(4).toEqualTypeOf<EnvelopeFailureCode | null>();
    expectTypeOf<ResultRow['failure']>().toEqualTypeOf<EnvelopeFailureCode | null>();
    expectTypeOf<RequestResults['failed'][number]['reason']>().toEqualTypeOf<EnvelopeFailureCode | 'FAILED'>();
    // @ts-expect-error a misspelt code is not an EnvelopeFailureCode
    const typo: EnvelopeFailureCode = 'NOT_ENOUGH_PARTIAL';
    void typo;
  });

  it('rejected envelopes and custodian refusals carry their unions', () => {
    expectTypeOf<NonNullable<ErrorDetails['rejected']>[number]['reason']>().toEqualTypeOf<RejectReason>();
    expectTypeOf<ReleaseLogRow['code']>().toEqualTypeOf<CustodianCode | null>();
    // @ts-expect-error a misspelt code is not a CustodianCode
    const typo: ReleaseLogRow['code'] = 'OUT_OF_SCOPES';
    void typo;
  });
});
