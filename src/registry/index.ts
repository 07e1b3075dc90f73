/**
 * Registry (issue 5): models, versions, aliases with history, model cards, bundles and ONNX.
 * Not built yet: this folder only reserves the concept's place.
 */
export {};
