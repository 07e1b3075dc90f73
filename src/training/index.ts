/**
 * Training (issue 4): text and tabular learners in TypeScript over typed arrays.
 * The learners are being built in text/ and tabular/; this surface re-exports them once they land.
 */
export {};
