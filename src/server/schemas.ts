/** TypeBox schemas shared by routes: the error body and common shapes. */
import { Type, type Static } from '@sinclair/typebox';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'One of the codes in docs/errors.md' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      request_id: Type.Optional(Type.String()),
    }),
  },
  { $id: 'ErrorBody', description: 'Every error response has this body.' },
);
export type ErrorBodyType = Static<typeof ErrorBody>;

/** Standard error responses to list in a route's schema. */
export const errorResponses = {
  400: Type.Ref('ErrorBody'),
  401: Type.Ref('ErrorBody'),
  403: Type.Ref('ErrorBody'),
  404: Type.Ref('ErrorBody'),
  500: Type.Ref('ErrorBody'),
} as const;
