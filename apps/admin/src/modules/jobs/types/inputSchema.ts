// The profile's input fields, read from its JSON schema, and the simple checks the browser can make before
// the API's full validation: required fields, types, lengths, enums and ranges.

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';

export interface InputField {
  name: string;
  /** Allowed JSON types; empty when the schema does not say. */
  types: FieldType[];
  required: boolean;
  description: string | null;
  enum: unknown[] | null;
  minLength: number | null;
  maxLength: number | null;
  minimum: number | null;
  maximum: number | null;
  minItems: number | null;
  maxItems: number | null;
  itemTypes: FieldType[];
}

const FIELD_TYPES: readonly FieldType[] = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typesOf(schema: unknown): FieldType[] {
  if (!isRecord(schema)) return [];
  const type = schema.type;
  const list = Array.isArray(type) ? type : type === undefined ? [] : [type];
  return list.filter((t): t is FieldType => typeof t === 'string' && (FIELD_TYPES as readonly string[]).includes(t));
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function inputFieldsOf(inputSchema: Record<string, unknown>): InputField[] {
  const properties = isRecord(inputSchema.properties) ? inputSchema.properties : {};
  const required = new Set(Array.isArray(inputSchema.required) ? inputSchema.required.filter((r): r is string => typeof r === 'string') : []);
  return Object.entries(properties).map(([name, raw]) => {
    const schema = isRecord(raw) ? raw : {};
    return {
      name,
      types: typesOf(schema),
      required: required.has(name),
      description: typeof schema.description === 'string' ? schema.description : null,
      enum: Array.isArray(schema.enum) ? schema.enum : null,
      minLength: numberOf(schema.minLength),
      maxLength: numberOf(schema.maxLength),
      minimum: numberOf(schema.minimum),
      maximum: numberOf(schema.maximum),
      minItems: numberOf(schema.minItems),
      maxItems: numberOf(schema.maxItems),
      itemTypes: typesOf(schema.items),
    };
  });
}

/** "string", "integer or null": what the field takes, for hints. */
export function describeTypes(field: InputField): string {
  if (field.types.length === 0) return 'any value';
  return field.types.map((type) => (type === 'array' && field.itemTypes.length ? `list of ${field.itemTypes.join(' or ')}` : type)).join(' or ');
}

function matchesType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isRecord(value);
    case 'null':
      return value === null;
  }
}

const ARTICLE: Record<FieldType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'empty',
};

/** JSON Schema counts characters as code points, not UTF-16 units. */
function length(text: string): number {
  return [...text].length;
}

/** The problems of one value for one field ("lyrics is required", "year must be an integer"). */
export function fieldProblems(field: InputField, value: unknown): string[] {
  if (value === undefined) return field.required ? [`${field.name} is required`] : [];
  if (field.types.length > 0 && !field.types.some((type) => matchesType(value, type))) {
    return [`${field.name} must be ${field.types.map((type) => ARTICLE[type]).join(' or ')}`];
  }
  const problems: string[] = [];
  if (field.enum && !field.enum.some((option) => option === value)) {
    problems.push(`${field.name} must be one of: ${field.enum.map((option) => String(option)).join(', ')}`);
  }
  if (typeof value === 'string') {
    if (field.minLength !== null && length(value) < field.minLength) {
      problems.push(field.minLength === 1 ? `${field.name} must not be empty` : `${field.name} must be at least ${field.minLength} characters`);
    }
    if (field.maxLength !== null && length(value) > field.maxLength) {
      problems.push(`${field.name} must be at most ${field.maxLength} characters (it has ${length(value)})`);
    }
  }
  if (typeof value === 'number') {
    if (field.minimum !== null && value < field.minimum) problems.push(`${field.name} must be ${field.minimum} or more`);
    if (field.maximum !== null && value > field.maximum) problems.push(`${field.name} must be ${field.maximum} or less`);
  }
  if (Array.isArray(value)) {
    if (field.minItems !== null && value.length < field.minItems) problems.push(`${field.name} needs at least ${field.minItems} entries`);
    if (field.maxItems !== null && value.length > field.maxItems) problems.push(`${field.name} takes at most ${field.maxItems} entries`);
    if (field.itemTypes.length > 0 && value.some((entry) => !field.itemTypes.some((type) => matchesType(entry, type)))) {
      problems.push(`every entry of ${field.name} must be ${field.itemTypes.map((type) => ARTICLE[type]).join(' or ')}`);
    }
  }
  return problems;
}
