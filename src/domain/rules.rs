//! The registry of rule versions items may test ("Incoterms 2020", "UCP600", …), so that items on a
//! superseded rule can be found and retired.

use serde::{Deserialize, Serialize};

use super::bilingual::Text;

/// One version of a rule set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleVersion {
    pub id: String,
    pub name: Text,
    /// When it came into force (ISO date), where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_force: Option<String>,
    /// The version that replaced it; items must not test a superseded version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
}

/// All known rule versions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleRegistry {
    pub rules: Vec<RuleVersion>,
}

impl RuleRegistry {
    pub fn get(&self, id: &str) -> Option<&RuleVersion> {
        self.rules.iter().find(|r| r.id == id)
    }
}
