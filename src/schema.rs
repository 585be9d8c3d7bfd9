//! The JSON Schema of the scenario format, generated from the types in `format`, for editors.
//!
//! Draft-07, because Taplo (Even Better TOML) validates with a draft-07 validator. `Option`
//! fields are not marked nullable: TOML has no null, and "or null" would only clutter the
//! hover text.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::{Value, json};

use crate::format::{STEP_KEYS, Scenario, step_kinds};

/// The schema as pretty-printed JSON, ending with a newline.
pub fn generate() -> String {
    let settings = SchemaSettings::draft07().with(|s| {
        s.transforms.insert(0, Box::new(RecursiveTransform(strip_null)));
        s.transforms.push(Box::new(RecursiveTransform(or_param)));
    });
    let mut schema = settings.into_generator().into_root_schema_for::<Scenario>();
    if let Some(Value::Object(step)) = schema.get_mut("definitions").and_then(|d| d.get_mut("Step")) {
        step_rules(step);
    }
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

/// A number or boolean may also be written as a parameter's name (`count = "workers"`).
fn or_param(schema: &mut Schema) {
    if let Some(t @ Value::String(_)) = schema.get_mut("type") {
        if matches!(t.as_str(), Some("integer" | "number" | "boolean")) {
            *t = json!([t.clone(), "string"]);
        }
    }
}

/// The JSON Schema of `run --summary`'s output, as pretty-printed JSON ending with a newline.
pub fn summary() -> String {
    let mut schema = SchemaSettings::draft07().into_generator().into_root_schema_for::<crate::many::SummaryFile>();
    schema.insert("title".into(), "scenario run summary".into());
    schema.insert(
        "description".into(),
        "What `scenario run --summary FILE` writes: a run's statistics (or, with --sweep, each point's), \
         times in virtual nanoseconds."
            .into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema is always serializable");
    text.push('\n');
    text
}

/// Adds what serde cannot say about a step: exactly one kind key, and modifiers only with the
/// kinds they go with. `say` is special: alone it is the kind, beside `sleep`, `put` or `get` a
/// modifier.
fn step_rules(step: &mut serde_json::Map<String, Value>) {
    let has = |key: &str| json!({ "required": [key] });
    let others = |except: &[&str]| -> Value {
        let keys: Vec<Value> = step_kinds().filter(|k| !except.contains(&k.name)).map(|k| has(k.name)).collect();
        json!({ "anyOf": keys })
    };
    let mut one_kind: Vec<Value> = step_kinds().filter(|k| k.modifies.is_empty()).map(|k| has(k.name)).collect();
    let mut dependencies = serde_json::Map::new();
    for key in STEP_KEYS.iter().filter(|k| !k.modifies.is_empty()) {
        let rule = if key.kind.is_some() {
            // A kind that also modifies others (`say`): the kind when alone, a modifier beside
            // the kinds it modifies, wrong with any other kind.
            let mut with = vec![key.name];
            with.extend(key.modifies);
            one_kind.push(json!({ "required": [key.name], "not": others(&[key.name]) }));
            json!({ "not": others(&with) })
        } else {
            json!({ "anyOf": key.modifies.iter().map(|k| has(k)).collect::<Vec<_>>() })
        };
        dependencies.insert(key.name.to_owned(), rule);
    }
    step.insert("oneOf".into(), Value::Array(one_kind));
    step.insert("dependencies".into(), Value::Object(dependencies));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_of_top_level_keys_is_the_schemas() {
        let schema: Value = serde_json::from_str(&generate()).unwrap();
        let mut properties: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        properties.sort_unstable();
        let mut keys = crate::format::TOP_LEVEL_KEYS.to_vec();
        keys.sort_unstable();
        assert_eq!(keys, properties);
    }
}
