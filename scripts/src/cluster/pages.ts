/**
 * The pages of the local cluster, as `npm start` lists them.
 */

/** Every page a person opens, with its URL (docs/PROTOCOL.md §7.2, §7.9). */
export function pageLines(coordinatorUrl: string, custodianUrls: readonly string[]): string[] {
  return [
    `  explorer      ${coordinatorUrl}/explorer/   (the public log, warrants, proofs)`,
    `  report        ${coordinatorUrl}/report/     (transparency report, refreshed as the log grows)`,
    ...custodianUrls.map((u, i) => `  console ${i + 1}     ${u}/console/   (custodian ${i + 1}'s operator console)`),
  ];
}
