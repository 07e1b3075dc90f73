/**
 * Serving (issue 6): online and batch inference, review routing, prediction logs and rollout.
 * Not built yet: this folder only reserves the concept's place.
 */
export {};
