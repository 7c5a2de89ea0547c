// Validates every object of a multi-document YAML stream (helm template's output) against the schema of its kind: the
// Kubernetes API's own (kubernetes-models) and prometheus-operator's CRDs (@kubernetes-models/prometheus-operator).
//
//   node validate.mjs [file]      reads standard input without a file
//
// Prints "ok <apiVersion> <Kind>/<name>" for each valid object on stdout and one line per failure on stderr, naming the
// object and the path in it. Exits 1 on any failure, on a document that does not parse, on a kind it has no schema for,
// and on an input without objects. The schemas check types, required fields and enumerations; like the API's OpenAPI
// schemas they allow fields they do not name, so a misspelt optional field is not caught here.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const OperatorGroup = "monitoring.coreos.com";
const ApiVersionPattern = /^(?:[a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?v\d+(?:(?:alpha|beta)\d+)?$/;

const models = new Map();

/** The generated model class for apiVersion + kind, or undefined when neither package has one. */
async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !ApiVersionPattern.test(apiVersion)) return undefined;
  if (!models.has(apiVersion)) {
    // "v1" is the core group; every other group is a folder named group/version in its package.
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    const specifier = group === OperatorGroup ? `@kubernetes-models/prometheus-operator/${apiVersion}` : `kubernetes-models/${apiVersion}`;
    models.set(apiVersion, await import(specifier).catch(error => {
      if (error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED" || error.code === "ERR_MODULE_NOT_FOUND") return {};
      throw error;
    }));
  }
  const model = models.get(apiVersion)[kind];
  // Only a top-level resource carries its own apiVersion and kind; DeploymentSpec and the like do not.
  return typeof model === "function" && model.apiVersion === apiVersion && model.kind === kind ? model : undefined;
}

function describe(error) {
  const path = error.instancePath || "/";
  const allowed = error.params?.allowedValues ? ` (${error.params.allowedValues.join(", ")})` : "";
  return `${path} ${error.message}${allowed}`;
}

const input = readFileSync(process.argv[2] ?? 0, "utf8");
// YAML 1.1, as Kubernetes reads manifests: an unquoted yes or on is a boolean there, not a string.
const documents = parseAllDocuments(input, { version: "1.1" });
let failures = 0;
let objects = 0;
const fail = line => {
  failures++;
  console.error(line);
};

for (const [index, document] of documents.entries()) {
  const where = `document ${index + 1}`;
  if (document.errors.length > 0) {
    for (const error of document.errors) fail(`${where}: ${error.message}`);
    continue;
  }
  const object = document.toJS();
  if (object === null || object === undefined) continue; // only comments, as helm leaves between documents
  if (typeof object !== "object" || Array.isArray(object)) {
    fail(`${where}: not an object`);
    continue;
  }
  objects++;
  const { apiVersion, kind } = object;
  const name = `${kind}/${object.metadata?.name ?? `(unnamed, ${where})`}`;
  const Model = await modelFor(apiVersion, kind);
  if (Model === undefined) {
    fail(`${name}: no schema for apiVersion ${JSON.stringify(apiVersion)} kind ${JSON.stringify(kind)}`);
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok ${apiVersion} ${name}`);
  } catch (error) {
    if (!Array.isArray(error.errors)) throw error;
    for (const each of error.errors) fail(`${name}: ${describe(each)}`);
  }
}

if (objects === 0) fail("no objects in the input");
process.exitCode = failures === 0 ? 0 : 1;
