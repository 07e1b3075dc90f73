/**
 * Jobs (issue 9): durable jobs, schedules, triggers and the retraining loop.
 * Not built yet: this folder only reserves the concept's place.
 */
export {};
