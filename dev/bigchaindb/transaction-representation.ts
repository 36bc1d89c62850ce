import { isJsonObject, type JsonObject, type JsonValue } from '../../shared/transaction/json-value';

/**
 * A committed transaction as a node returns it: rebuilt from its parsed form
 * (`Transaction.from_dict(...).to_dict()`), so keys come in the node's order
 * (`inputs, outputs, operation, metadata, asset, version, id`) and amounts are normalized (`"01"`
 * reads back as `"1"`). Spec §2.4.
 */
export function nodeRepresentation(body: JsonObject): JsonObject {
  const asset = body['asset'] as JsonObject;
  return {
    inputs: (body['inputs'] as JsonObject[]).map(inputRepresentation),
    outputs: (body['outputs'] as JsonObject[]).map(outputRepresentation),
    operation: body['operation'] ?? null,
    metadata: body['metadata'] ?? null,
    asset: body['operation'] === 'CREATE' ? { data: asset['data'] ?? null } : { id: asset['id'] ?? null },
    version: body['version'] ?? null,
    id: body['id'] ?? null,
  };
}

function inputRepresentation(input: JsonObject): JsonObject {
  const fulfills = input['fulfills'];
  return {
    owners_before: input['owners_before'] ?? null,
    fulfills: isJsonObject(fulfills)
      ? { transaction_id: fulfills['transaction_id'] ?? null, output_index: fulfills['output_index'] ?? null }
      : null,
    fulfillment: input['fulfillment'] ?? null,
  };
}

function outputRepresentation(output: JsonObject): JsonObject {
  const condition = output['condition'] as JsonObject;
  return {
    public_keys: output['public_keys'] ?? null,
    condition: { details: detailsRepresentation(condition['details'] ?? null), uri: condition['uri'] ?? null },
    amount: BigInt(output['amount'] as string).toString(),
  };
}

function detailsRepresentation(details: JsonValue): JsonValue {
  if (!isJsonObject(details)) return details;
  if (details['type'] === 'ed25519-sha-256')
    return { type: details['type'], public_key: details['public_key'] ?? null };
  const subconditions = details['subconditions'];
  return {
    type: details['type'] ?? null,
    threshold: details['threshold'] ?? null,
    subconditions: Array.isArray(subconditions) ? subconditions.map(detailsRepresentation) : null,
  };
}
