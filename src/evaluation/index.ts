/**
 * Evaluation (issue 4): metrics with bootstrap intervals, calibration, automation at a target
 * precision, slices and gates. Not built yet: this folder only reserves the concept's place.
 */
export {};
