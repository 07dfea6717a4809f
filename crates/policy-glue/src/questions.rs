//! Checks a policy's `questions-ui.yml` (the Rancher UI form Kubewarden policies ship) against
//! its settings type, so the form cannot drift from the policy (feature `test-support`).

use serde_json::Value;

/// Why a form does not match its settings.
pub type Mismatch = String;

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON type a question type stands for.
fn form_type(question_type: &str) -> Option<&'static str> {
    match question_type {
        "boolean" => Some("boolean"),
        "string" | "enum" => Some("string"),
        "int" => Some("number"),
        t if t.starts_with("array[") || t.starts_with("sequence[") => Some("array"),
        t if t.starts_with("map[") => Some("object"),
        _ => None,
    }
}

fn text<'a>(question: &'a Value, field: &str) -> &'a str {
    question[field].as_str().unwrap_or_default()
}

/// Checks one list of questions against the settings' default document: the same variables,
/// each question's type and default those of the setting, and every enum option accepted by
/// `valid` in place of the default.
fn check_questions(
    questions: &[Value],
    defaults: &Value,
    valid: &dyn Fn(&Value) -> Result<(), String>,
) -> Result<(), Mismatch> {
    let mut variables: Vec<&str> = questions.iter().map(|q| text(q, "variable")).collect();
    let mut keys: Vec<&str> = defaults
        .as_object()
        .ok_or("the default settings are not an object")?
        .keys()
        .map(String::as_str)
        .collect();
    variables.sort_unstable();
    keys.sort_unstable();
    if variables != keys {
        return Err(format!(
            "variables {variables:?} are not the settings {keys:?}"
        ));
    }
    for question in questions {
        let variable = text(question, "variable");
        let default = &defaults[variable];
        let expected = form_type(text(question, "type"))
            .ok_or_else(|| format!("{variable}: unknown type {:?}", question["type"]))?;
        if json_type(default) != expected && !default.is_null() {
            return Err(format!(
                "{variable}: the form says {expected}, the settings {}",
                json_type(default)
            ));
        }
        if question.get("default").is_some_and(|d| d != default) {
            return Err(format!(
                "{variable}: the form's default {} is not {default}",
                question["default"]
            ));
        }
        for option in question["options"].as_array().into_iter().flatten() {
            let mut settings = defaults.clone();
            settings[variable] = option.clone();
            valid(&settings).map_err(|e| format!("{variable}: option {option} is refused: {e}"))?;
        }
        if let Some(inner) = question["sequence_questions"].as_array() {
            check_sequence(variable, inner, default, valid, defaults)?;
        }
    }
    Ok(())
}

/// A `sequence[` question: its sub-questions name the members of each element, and each option
/// of a sub-question is accepted in the first element.
fn check_sequence(
    variable: &str,
    inner: &[Value],
    default: &Value,
    valid: &dyn Fn(&Value) -> Result<(), String>,
    defaults: &Value,
) -> Result<(), Mismatch> {
    let Some(first) = default.as_array().and_then(|d| d.first()) else {
        return Ok(());
    };
    for member in first.as_object().into_iter().flat_map(|m| m.keys()) {
        if !inner.iter().any(|q| text(q, "variable") == member) {
            return Err(format!("{variable}: no sub-question for {member}"));
        }
    }
    for question in inner {
        for option in question["options"].as_array().into_iter().flatten() {
            let mut settings = defaults.clone();
            settings[variable][0][text(question, "variable")] = option.clone();
            if text(question, "variable") == "operator" && option == "In" {
                settings[variable][0]["values"] = serde_json::json!(["x"]);
            }
            valid(&settings).map_err(|e| format!("{variable}: option {option} is refused: {e}"))?;
        }
    }
    Ok(())
}

/// Checks `questions-ui.yml` (its text) against the settings: `defaults` is the default settings
/// document, `valid` deserialises and validates a settings document.
pub fn check(
    yaml: &str,
    defaults: &Value,
    valid: impl Fn(&Value) -> Result<(), String>,
) -> Result<(), Mismatch> {
    let form: Value = serde_norway::from_str(yaml).map_err(|e| e.to_string())?;
    let questions = form["questions"].as_array().ok_or("no questions")?;
    check_questions(questions, defaults, &valid)
}

/// [`check`] against a settings type: its `Default` is the default document, and a document is
/// valid when it deserialises and passes `Validatable`.
pub fn check_settings<S>(yaml: &str) -> Result<(), Mismatch>
where
    S: serde::Serialize
        + serde::de::DeserializeOwned
        + Default
        + kubewarden_policy_sdk::settings::Validatable,
{
    let defaults = serde_json::to_value(S::default()).map_err(|e| e.to_string())?;
    check(yaml, &defaults, |document| {
        serde_json::from_value::<S>(document.clone())
            .map_err(|e| e.to_string())?
            .validate()
    })
}

/// What a `validate_settings` entry point answers for a settings document: whether the
/// settings are valid, and the message.
pub fn settings_answer(
    validate_settings: fn(&[u8]) -> wapc_guest::CallResult,
    settings: &Value,
) -> (bool, Option<String>) {
    let answer = validate_settings(&serde_json::to_vec(settings).expect("JSON"))
        .expect("validate_settings never fails");
    let answer: Value = serde_json::from_slice(&answer).expect("a JSON answer");
    (
        answer["valid"] == Value::Bool(true),
        answer["message"].as_str().map(str::to_string),
    )
}

/// Asserts what a `validate_settings` entry point answers for a settings document: `valid`,
/// and a message that starts with `message` (no message when `None`).
pub fn assert_settings_answer(
    validate_settings: fn(&[u8]) -> wapc_guest::CallResult,
    settings: &Value,
    valid: bool,
    message: Option<&str>,
) {
    let (answered_valid, answer) = settings_answer(validate_settings, settings);
    assert_eq!(answered_valid, valid, "{settings}: {answer:?}");
    match (message, answer) {
        (Some(message), Some(answer)) => assert!(answer.starts_with(message), "{answer}"),
        (expected, answer) => assert_eq!(answer.as_deref(), expected),
    }
}

/// Why a settings document does not deserialise into `S`; panics when it does.
pub fn deserialise_error<S: serde::de::DeserializeOwned + std::fmt::Debug>(
    settings: Value,
) -> String {
    serde_json::from_value::<S>(settings)
        .expect_err("the settings should not deserialise")
        .to_string()
}

/// Asserts that a policy's `questions-ui.yml` (its text) matches its settings type, and that
/// the check can fail: the same form with its first variable renamed does not match.
pub fn assert_form_matches<S>(yaml: &str)
where
    S: serde::Serialize
        + serde::de::DeserializeOwned
        + Default
        + kubewarden_policy_sdk::settings::Validatable,
{
    assert_eq!(check_settings::<S>(yaml), Ok(()));
    let drifted = yaml.replacen("variable: ", "variable: drifted", 1);
    assert_ne!(drifted, yaml, "the form names no variable");
    assert!(
        check_settings::<S>(&drifted).is_err(),
        "a renamed variable went unnoticed"
    );
}
