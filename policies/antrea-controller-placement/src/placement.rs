//! Where a Pod may be scheduled, and what it takes to confine it to secure Nodes.
//!
//! A Pod's Node must match its `nodeSelector` and at least one of the `nodeSelectorTerms` of
//! its required node affinity (terms are ORed, the expressions of a term ANDed). So a secure
//! requirement holds when the `nodeSelector` implies it, or when every term does; it is added
//! to each term that lacks it (adding a term instead would widen, not narrow). Preferred terms
//! are left alone. A Pod whose own constraints exclude every secure Node (a preset `nodeName`,
//! a `nodeSelector` value outside an `In` requirement, required terms that all contradict a
//! requirement) cannot be fixed by adding to them: it is rejected, never mutated into a Pod
//! that cannot be scheduled.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Conflict;
use crate::settings::{Operator, Requirement, Settings, Toleration, TolerationOperator};

/// A toleration as a Pod spells it (every field optional, as in the API).
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(rename_all = "camelCase")]
pub struct PodToleration {
    key: Option<String>,
    operator: Option<String>,
    value: Option<String>,
    effect: Option<String>,
}

/// The scheduling constraints of a pod spec.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    node_name: Option<String>,
    node_selector: BTreeMap<String, String>,
    required: Option<NodeSelector>,
    tolerations: Vec<PodToleration>,
}

/// What a pod spec lacks to run on secure Nodes only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Requirements for a new required term: the Pod has no required node affinity.
    pub new_term: Vec<Requirement>,
    /// Requirements to add to existing terms, by index.
    pub into_terms: Vec<(usize, Requirement)>,
    /// Tolerations to add.
    pub tolerations: Vec<Toleration>,
}

fn parse<'a, T: Deserialize<'a>>(
    value: Option<&'a Value>,
    field: &str,
) -> Result<Option<T>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::deserialize(value)
            .map(Some)
            .map_err(|e| format!("{field}: {e}")),
    }
}

impl Placement {
    /// Reads the constraints of a pod spec; a field of the wrong type is an error.
    pub fn read(spec: &Value) -> Result<Self, String> {
        let required = spec
            .get("affinity")
            .and_then(|a| a.get("nodeAffinity"))
            .and_then(|n| n.get("requiredDuringSchedulingIgnoredDuringExecution"));
        Ok(Placement {
            node_name: parse::<String>(spec.get("nodeName"), "nodeName")?.filter(|n| !n.is_empty()),
            node_selector: parse(spec.get("nodeSelector"), "nodeSelector")?.unwrap_or_default(),
            required: parse(
                required,
                "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
            )?,
            tolerations: parse(spec.get("tolerations"), "tolerations")?.unwrap_or_default(),
        })
    }

    /// What the Pod lacks, or why it cannot be placed on secure Nodes at all.
    pub fn plan(&self, settings: &Settings) -> Result<Plan, Conflict> {
        if let Some(node) = &self.node_name {
            return Err(Conflict::NodeName(node.clone()));
        }
        let terms = self
            .required
            .as_ref()
            .map(|r| r.node_selector_terms.as_slice())
            .unwrap_or_default();
        let mut plan = Plan::default();
        for requirement in &settings.secure_nodes {
            if let Some(value) = self.node_selector.get(&requirement.key) {
                if requirement.operator == Operator::In && !requirement.values.contains(value) {
                    return Err(Conflict::NodeSelector {
                        key: requirement.key.clone(),
                        value: value.clone(),
                        requirement: requirement.clone(),
                    });
                }
                continue;
            }
            if terms.is_empty() {
                plan.new_term.push(requirement.clone());
                continue;
            }
            let mut selectable = false;
            for (index, term) in terms.iter().enumerate() {
                // An empty term matches no Node: adding to it would widen, not narrow.
                if is_empty_term(term) {
                    continue;
                }
                // A term that excludes the requirement cannot select a secure Node: ANDing the
                // requirement in keeps it selecting none, which is what the Pod must not do.
                selectable |= !term_contradicts(term, requirement);
                if !term_implies(term, requirement) {
                    plan.into_terms.push((index, requirement.clone()));
                }
            }
            if !selectable && terms.iter().any(|t| !is_empty_term(t)) {
                return Err(Conflict::Terms {
                    requirement: requirement.clone(),
                });
            }
        }
        plan.tolerations = settings
            .tolerations
            .iter()
            .filter(|wanted| !self.tolerations.iter().any(|t| covers(t, wanted)))
            .cloned()
            .collect();
        Ok(plan)
    }
}

fn is_empty_term(term: &NodeSelectorTerm) -> bool {
    term.match_expressions
        .as_deref()
        .unwrap_or_default()
        .is_empty()
        && term.match_fields.as_deref().unwrap_or_default().is_empty()
}

fn expressions(term: &NodeSelectorTerm) -> &[NodeSelectorRequirement] {
    term.match_expressions.as_deref().unwrap_or_default()
}

fn values(expression: &NodeSelectorRequirement) -> &[String] {
    expression.values.as_deref().unwrap_or_default()
}

/// Whether a term's expressions guarantee the requirement.
fn term_implies(term: &NodeSelectorTerm, requirement: &Requirement) -> bool {
    expressions(term).iter().any(|e| {
        e.key == requirement.key
            && match (requirement.operator, e.operator.as_str()) {
                (Operator::Exists, "In" | "Exists") => true,
                (Operator::In, "In") => {
                    !values(e).is_empty()
                        && values(e).iter().all(|v| requirement.values.contains(v))
                }
                _ => false,
            }
    })
}

/// Whether a term's expressions exclude every Node the requirement selects.
fn term_contradicts(term: &NodeSelectorTerm, requirement: &Requirement) -> bool {
    expressions(term).iter().any(|e| {
        e.key == requirement.key
            && match (requirement.operator, e.operator.as_str()) {
                (_, "DoesNotExist") => true,
                (Operator::In, "In") => !values(e).iter().any(|v| requirement.values.contains(v)),
                (Operator::In, "NotIn") => requirement.values.iter().all(|v| values(e).contains(v)),
                _ => false,
            }
    })
}

/// Whether a Pod's toleration tolerates every taint the wanted toleration is for.
fn covers(existing: &PodToleration, wanted: &Toleration) -> bool {
    let effect = existing.effect.as_deref().unwrap_or_default();
    let operator = existing.operator.as_deref().unwrap_or("Equal");
    let key = existing.key.as_deref().unwrap_or_default();
    let effect_matches = effect.is_empty() || effect == effect_name(wanted);
    let key_matches = (key.is_empty() && operator == "Exists") || key == wanted.key;
    let value_matches = operator == "Exists"
        || (wanted.operator == TolerationOperator::Equal
            && existing.value.as_deref().unwrap_or_default()
                == wanted.value.as_deref().unwrap_or_default());
    effect_matches && key_matches && value_matches
}

/// The API's spelling of a toleration's effect.
pub fn effect_name(toleration: &Toleration) -> &'static str {
    use crate::settings::Effect;
    match toleration.effect {
        Effect::NoSchedule => "NoSchedule",
        Effect::PreferNoSchedule => "PreferNoSchedule",
        Effect::NoExecute => "NoExecute",
    }
}

fn expression(requirement: &Requirement) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: requirement.key.clone(),
        operator: match requirement.operator {
            Operator::In => "In",
            Operator::Exists => "Exists",
        }
        .to_string(),
        values: (requirement.operator == Operator::In).then(|| requirement.values.clone()),
    }
}

fn toleration_value(toleration: &Toleration) -> Value {
    let mut value = serde_json::json!({
        "key": toleration.key,
        "operator": match toleration.operator {
            TolerationOperator::Exists => "Exists",
            TolerationOperator::Equal => "Equal",
        },
        "effect": effect_name(toleration),
    });
    if let Some(v) = &toleration.value {
        value["value"] = Value::from(v.as_str());
    }
    value
}

/// The object at `path` under `value`, created (replacing `null`) where absent.
fn object_at<'v>(value: &'v mut Value, path: &[&str]) -> &'v mut Map<String, Value> {
    let mut current = value;
    for key in path {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        current = current
            .as_object_mut()
            .expect("an object")
            .entry(*key)
            .or_insert(Value::Null);
    }
    if !current.is_object() {
        *current = Value::Object(Map::new());
    }
    current.as_object_mut().expect("an object")
}

impl Plan {
    /// Whether the Pod already runs on secure Nodes only.
    pub fn is_empty(&self) -> bool {
        self.new_term.is_empty() && self.into_terms.is_empty() && self.tolerations.is_empty()
    }

    /// What is missing, one phrase each, for messages.
    pub fn missing(&self) -> Vec<String> {
        let terms = self
            .new_term
            .iter()
            .map(|r| format!("required node affinity {r}"))
            .chain(self.into_terms.iter().map(|(index, r)| {
                format!("required node affinity {r} in nodeSelectorTerms[{index}]")
            }));
        let tolerations = self.tolerations.iter().map(|t| {
            let value = t
                .value
                .as_deref()
                .map(|v| format!("={v}"))
                .unwrap_or_default();
            format!("toleration {}{value}:{}", t.key, effect_name(t))
        });
        terms.chain(tolerations).collect()
    }

    /// Applies the plan to a pod spec (`placement` is what [`Placement::read`] read from it).
    pub fn apply(&self, spec: &mut Value, placement: &Placement) {
        if !self.new_term.is_empty() || !self.into_terms.is_empty() {
            let mut required = placement.required.clone().unwrap_or_default();
            if required.node_selector_terms.is_empty() {
                required
                    .node_selector_terms
                    .push(NodeSelectorTerm::default());
            }
            for requirement in &self.new_term {
                for term in &mut required.node_selector_terms {
                    term.match_expressions
                        .get_or_insert_with(Vec::new)
                        .push(expression(requirement));
                }
            }
            for (index, requirement) in &self.into_terms {
                required.node_selector_terms[*index]
                    .match_expressions
                    .get_or_insert_with(Vec::new)
                    .push(expression(requirement));
            }
            object_at(spec, &["affinity", "nodeAffinity"]).insert(
                "requiredDuringSchedulingIgnoredDuringExecution".to_string(),
                serde_json::to_value(required).expect("a NodeSelector serialises"),
            );
        }
        if !self.tolerations.is_empty() {
            let spec = object_at(spec, &[]);
            let tolerations = spec
                .entry("tolerations")
                .or_insert_with(|| Value::Array(Vec::new()));
            if !tolerations.is_array() {
                *tolerations = Value::Array(Vec::new());
            }
            let list = tolerations.as_array_mut().expect("an array");
            list.extend(self.tolerations.iter().map(toleration_value));
        }
    }
}
