//! The JSON Schema in `schema/` is generated from the format's types: it must be current, every
//! property must be documented, and it must accept every scenario and reject shape mistakes.

/// Where the schema is committed, relative to the repository root.
const SCHEMA_PATH: &str = "schema/scenario.schema.json";

mod common;

use common::toml_files;
use serde_json::Value;

fn schema() -> Value {
    serde_json::from_str(&scenario::json_schema()).unwrap()
}

/// A TOML file as the JSON value an editor validates.
fn as_json(path: &std::path::Path) -> Value {
    let source = std::fs::read_to_string(path).unwrap();
    let value: toml::Value = toml::from_str(&source).unwrap();
    serde_json::to_value(value).unwrap()
}

#[test]
fn the_committed_schema_is_current() {
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == scenario::json_schema(),
        "{SCHEMA_PATH} is stale: regenerate it with `cargo run -- schema -o {SCHEMA_PATH}`"
    );
}

#[test]
fn every_property_has_a_description() {
    fn walk(value: &Value, at: &str, missing: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    for (name, prop) in props {
                        if prop.get("description").and_then(Value::as_str).is_none_or(str::is_empty) {
                            missing.push(format!("{at}.{name}"));
                        }
                    }
                }
                for (k, v) in map {
                    walk(v, &format!("{at}/{k}"), missing);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, at, missing)),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    walk(&schema(), "", &mut missing);
    assert!(missing.is_empty(), "properties without a description: {missing:?}");
}

#[test]
fn every_scenario_and_warning_example_validates() {
    let validator = jsonschema::draft7::new(&schema()).unwrap();
    for path in toml_files("scenarios").into_iter().chain(toml_files("tests/warnings")) {
        let errors: Vec<String> = validator.iter_errors(&as_json(&path)).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{} does not validate: {errors:?}", path.display());
    }
}

#[test]
fn the_schema_rejects_mistakes_of_shape() {
    let validator = jsonschema::draft7::new(&schema()).unwrap();
    // `wrong_type.toml` (`count = "three"`) is not here: a string where a number goes may name
    // a parameter, which a schema cannot look up; the compiler does.
    for file in [
        "unknown_step_key",
        "several_shape_errors",
        "key_below_a_table_header",
        "step_with_two_kinds",
        "modifier_on_wrong_step",
    ] {
        let path = std::path::PathBuf::from(format!("tests/invalid/{file}.toml"));
        assert!(!validator.is_valid(&as_json(&path)), "{} validates", path.display());
    }
}
