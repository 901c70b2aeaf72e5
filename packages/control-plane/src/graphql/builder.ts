import SchemaBuilder from '@pothos/core';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { Actor } from '../services/actor';
import type { Services } from '../services/create-services';

export interface GraphqlContext {
  actor: Actor | null;
  services: Services;
}

// Non-null unless marked: scripts can rely on fields being present.
export const builder = new SchemaBuilder<{
  DefaultFieldNullability: false;
  Context: GraphqlContext;
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
    DateTime: { Input: Date; Output: Date | string };
  };
}>({ defaultFieldNullability: false });

builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('DateTime', DateTimeResolver);
