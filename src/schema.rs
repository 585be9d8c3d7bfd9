//! The JSON Schema of the scenario format, generated from the types in `format`, for editors.
//!
//! Draft-07, because Taplo (Even Better TOML) validates with a draft-07 validator. `Option`
//! fields are not marked nullable: TOML has no null, and "or null" would only clutter the
//! hover text.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

use crate::format::Scenario;

/// Where the schema is committed, relative to the repository root.
pub const PATH: &str = "schema/scenario.schema.json";

/// The schema as pretty-printed JSON, ending with a newline.
pub fn generate() -> String {
    let settings = SchemaSettings::draft07().with(|s| s.transforms.insert(0, Box::new(RecursiveTransform(strip_null))));
    let mut schema = settings.into_generator().into_root_schema_for::<Scenario>();
    schema.insert("title".into(), "scenario file".into());
    schema.insert(
        "description".into(),
        "A scenario for `scenario run`: tasks, the queues and other primitives between them, \
         and what each task does, run on a virtual clock."
            .into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is always serializable");
    text.push('\n');
    text
}

/// Removes `null` from `"type": [..., "null"]` and from `anyOf` alternatives.
fn strip_null(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else { return };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t.as_str() != Some("null"));
        if types.len() == 1 {
            let only = types.remove(0);
            object.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(alternatives)) = object.get_mut("anyOf") {
        alternatives.retain(|s| s.get("type").and_then(Value::as_str) != Some("null"));
        if alternatives.len() == 1 {
            let only = alternatives.remove(0);
            object.remove("anyOf");
            if let Value::Object(inner) = only {
                for (k, v) in inner {
                    object.entry(k).or_insert(v);
                }
            }
        }
    }
}
