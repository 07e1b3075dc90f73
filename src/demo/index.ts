/** Demo: the support-request story and the seeded data generator behind it. */
export { runDemo } from './demo.js';
export type { DemoOptions, DemoResult, DemoStep } from './demo.js';
export {
  generateSupportRequests,
  supportRequestsToCsv,
  supportRequestsToJsonl,
  SUPPORT_INTENTS,
} from './support-requests.js';
export type { SupportRequest, GenerateOptions, PiiKind } from './support-requests.js';
