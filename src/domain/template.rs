//! Calculation templates: variables drawn from ranges, formulas that compute derived values and keys, and
//! `{{name}}` placeholders in the text, so that every mock can get a fresh, reproducible variant.

use std::collections::BTreeMap;

use exmex::prelude::*;
use exmex::{BinOp, FloatOpsFactory, MakeOperators, NumberMatcher, Operator};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// Where a variable's values come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarDomain {
    /// `min`, `min + step`, …, up to `max`.
    Range { min: f64, max: f64, step: f64 },
    /// One of the listed values.
    Values(Vec<f64>),
}

/// A variable the engine draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Var {
    pub name: String,
    pub domain: VarDomain,
    /// Decimals shown in the text.
    pub decimals: u32,
}

/// A value computed from variables and earlier derived values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    pub name: String,
    pub expr: String,
    pub decimals: u32,
}

/// A worked example: given these variables, the named values must come out as expected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub vars: BTreeMap<String, f64>,
    pub expect: BTreeMap<String, f64>,
    pub tolerance: f64,
}

/// An item's template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub vars: Vec<Var>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived: Vec<Derived>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
}

/// The values of one variant: every variable and derived value by name.
pub type Values = BTreeMap<String, f64>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("formula `{expr}` cannot be read: {message}")]
    Syntax { expr: String, message: String },
    #[error(
        "formula `{expr}` uses `{name}`, which is neither a variable nor an earlier derived value"
    )]
    Unknown { expr: String, name: String },
    #[error("formula `{expr}` gives {value} for {values}")]
    NotFinite {
        expr: String,
        value: f64,
        values: String,
    },
    #[error("derived values {0} depend on each other in a cycle")]
    Cycle(String),
    #[error("the text uses {{{{{0}}}}}, which is neither a variable nor a derived value")]
    Placeholder(String),
    #[error("the text has an unclosed `{{{{`")]
    Unclosed,
    #[error("variable `{0}` has an empty or inverted range")]
    EmptyDomain(String),
    #[error("example {index}: `{name}` should be {expected} but the formulas give {got}")]
    ExampleMismatch {
        index: usize,
        name: String,
        expected: f64,
        got: f64,
    },
    #[error("example {index} does not set variable `{name}`")]
    ExampleMissing { index: usize, name: String },
    #[error("example {index} expects `{name}`, which is not a derived value or variable")]
    ExampleUnknown { index: usize, name: String },
}

/// Rounds half away from zero to `decimals` places, as people do on paper (2.675 → 2.68), allowing for
/// the binary representation of decimal fractions.
pub fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let y = x * f;
    let nudged = y + y.signum() * y.abs().max(1.0) * 1e-12;
    nudged.round() / f
}

/// The formula language: exmex's float operators, with `round(x, n)` rounding to n decimals.
#[derive(Clone, Debug)]
pub struct TemplateOps;

impl MakeOperators<f64> for TemplateOps {
    fn make<'a>() -> Vec<Operator<'a, f64>> {
        let mut ops: Vec<Operator<'a, f64>> = FloatOpsFactory::<f64>::make()
            .into_iter()
            .filter(|op| op.repr() != "round")
            .collect();
        ops.push(Operator::make_bin_unary(
            "round",
            BinOp {
                apply: |x, n| round_to(x, n as i32),
                prio: 0,
                is_commutative: false,
            },
            |x| round_to(x, 0),
        ));
        ops
    }
}

type Formula = FlatEx<f64, TemplateOps, NumberMatcher>;

/// The names a formula uses, or why it cannot be read.
pub fn formula_names(expr: &str) -> Result<Vec<String>, TemplateError> {
    let formula = Formula::parse(expr).map_err(|e| TemplateError::Syntax {
        expr: expr.to_owned(),
        message: e.msg().to_owned(),
    })?;
    Ok(formula.var_names().to_vec())
}

/// Orders derived values so each comes after the values it uses. Fails on an unknown name or a cycle.
pub fn order_derived(vars: &[Var], derived: Vec<Derived>) -> Result<Vec<Derived>, TemplateError> {
    let mut known: Vec<String> = vars.iter().map(|v| v.name.clone()).collect();
    let mut pending: Vec<(Derived, Vec<String>)> = Vec::new();
    for d in derived {
        let names = formula_names(&d.expr)?;
        pending.push((d, names));
    }
    let all: Vec<String> = known
        .iter()
        .cloned()
        .chain(pending.iter().map(|(d, _)| d.name.clone()))
        .collect();
    for (d, names) in &pending {
        if let Some(missing) = names.iter().find(|n| !all.contains(n)) {
            return Err(TemplateError::Unknown {
                expr: d.expr.clone(),
                name: missing.clone(),
            });
        }
    }
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|(_, names)| names.iter().all(|n| known.contains(n)));
        let Some(i) = ready else {
            let names: Vec<String> = pending.iter().map(|(d, _)| d.name.clone()).collect();
            return Err(TemplateError::Cycle(names.join(", ")));
        };
        let (d, _) = pending.remove(i);
        known.push(d.name.clone());
        ordered.push(d);
    }
    Ok(ordered)
}

thread_local! {
    /// Formulas parsed on this thread: every mock paper instantiates the same few templates again.
    static PARSED: std::cell::RefCell<std::collections::HashMap<String, Formula>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The parsed formula, from this thread's cache when it was parsed before.
fn parsed(expr: &str) -> Result<Formula, TemplateError> {
    if let Some(f) = PARSED.with(|p| p.borrow().get(expr).cloned()) {
        return Ok(f);
    }
    let formula = Formula::parse(expr).map_err(|e| TemplateError::Syntax {
        expr: expr.to_owned(),
        message: e.msg().to_owned(),
    })?;
    PARSED.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() >= 4096 {
            p.clear();
        }
        p.insert(expr.to_owned(), formula.clone());
    });
    Ok(formula)
}

/// Evaluates one formula against known values.
pub fn eval(expr: &str, values: &Values) -> Result<f64, TemplateError> {
    let formula = parsed(expr)?;
    let mut args = Vec::with_capacity(formula.var_names().len());
    for name in formula.var_names() {
        match values.get(name) {
            Some(v) => args.push(*v),
            None => {
                return Err(TemplateError::Unknown {
                    expr: expr.to_owned(),
                    name: name.clone(),
                });
            }
        }
    }
    let value = formula.eval(&args).map_err(|e| TemplateError::Syntax {
        expr: expr.to_owned(),
        message: e.msg().to_owned(),
    })?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(TemplateError::NotFinite {
            expr: expr.to_owned(),
            value,
            values: describe(values),
        })
    }
}

fn describe(values: &Values) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Var {
    /// How many values the variable can take.
    pub fn count(&self) -> Result<usize, TemplateError> {
        match &self.domain {
            VarDomain::Values(v) if !v.is_empty() => Ok(v.len()),
            VarDomain::Range { min, max, step } if *step > 0.0 && max >= min => {
                Ok(((max - min) / step + 1e-9).floor() as usize + 1)
            }
            _ => Err(TemplateError::EmptyDomain(self.name.clone())),
        }
    }

    /// The variable's `i`-th value, in order (ranges are stepped from `min`); `i` below `count()`.
    pub fn value_at(&self, i: usize) -> f64 {
        match &self.domain {
            VarDomain::Values(v) => v.get(i).copied().unwrap_or(f64::NAN),
            VarDomain::Range { min, step, .. } => {
                round_to(min + i as f64 * step, self.decimals.max(6) as i32)
            }
        }
    }
}

impl Template {
    /// Draws the variables for `seed` and computes every derived value.
    pub fn draw(&self, seed: u64) -> Result<Values, TemplateError> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut values = Values::new();
        for var in &self.vars {
            // Only the drawn value is computed: a range may hold thousands.
            let n = var.count()?;
            values.insert(var.name.clone(), var.value_at(rng.random_range(0..n)));
        }
        self.derive(values)
    }

    /// Computes the derived values from given variables.
    pub fn derive(&self, mut values: Values) -> Result<Values, TemplateError> {
        for d in &self.derived {
            let v = eval(&d.expr, &values)?;
            values.insert(d.name.clone(), v);
        }
        Ok(values)
    }

    /// Decimals to show for each name.
    pub fn decimals(&self) -> BTreeMap<&str, u32> {
        self.vars
            .iter()
            .map(|v| (v.name.as_str(), v.decimals))
            .chain(self.derived.iter().map(|d| (d.name.as_str(), d.decimals)))
            .collect()
    }

    /// Checks every worked example against the formulas.
    pub fn check_examples(&self) -> Vec<TemplateError> {
        let mut errors = Vec::new();
        for (i, ex) in self.examples.iter().enumerate() {
            let index = i + 1;
            let mut values = Values::new();
            for var in &self.vars {
                match ex.vars.get(&var.name) {
                    Some(v) => {
                        values.insert(var.name.clone(), *v);
                    }
                    None => errors.push(TemplateError::ExampleMissing {
                        index,
                        name: var.name.clone(),
                    }),
                }
            }
            if errors
                .iter()
                .any(|e| matches!(e, TemplateError::ExampleMissing { index: n, .. } if *n == index))
            {
                continue;
            }
            let values = match self.derive(values) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for (name, expected) in &ex.expect {
                match values.get(name) {
                    None => errors.push(TemplateError::ExampleUnknown {
                        index,
                        name: name.clone(),
                    }),
                    Some(got) if (got - expected).abs() > ex.tolerance + 1e-9 => {
                        errors.push(TemplateError::ExampleMismatch {
                            index,
                            name: name.clone(),
                            expected: *expected,
                            got: *got,
                        })
                    }
                    Some(_) => {}
                }
            }
        }
        errors
    }
}

/// Formats `value` with `decimals` places (rounded half away from zero).
pub fn format_number(value: f64, decimals: u32) -> String {
    let rounded = round_to(value, decimals as i32);
    // Avoid "-0.00".
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded:.*}", decimals as usize)
}

/// Replaces every `{{name}}` in `text` by the value's number. Fails on an unknown name or an unclosed `{{`.
pub fn fill(
    text: &str,
    values: &Values,
    decimals: &BTreeMap<&str, u32>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        let value = values
            .get(name)
            .ok_or_else(|| TemplateError::Placeholder(name.to_owned()))?;
        out.push_str(&format_number(
            *value,
            decimals.get(name).copied().unwrap_or(2),
        ));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The names used as `{{name}}` in `text` (for checking items without a template).
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push(after[..end].trim().to_owned());
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    out
}

/// Decimals a number is written with (`0.5` → 1, `12` → 0), for the default display of variables.
pub fn decimals_of(value: f64) -> u32 {
    let s = format!("{value}");
    s.split_once('.').map_or(0, |(_, frac)| frac.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, f64)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn arithmetic_is_decimal_not_integer() -> Result<(), TemplateError> {
        assert_eq!(eval("10 / 100", &Values::new())?, 0.1);
        assert_eq!(eval("1 + 10 / 100 * 2", &Values::new())?, 1.2);
        assert_eq!(eval("2 ^ 3 - 1", &Values::new())?, 7.0);
        assert_eq!(
            eval("a - b - c", &values(&[("a", 10.0), ("b", 3.0), ("c", 2.0)]))?,
            5.0
        );
        assert_eq!(
            eval("a / b / c", &values(&[("a", 8.0), ("b", 2.0), ("c", 2.0)]))?,
            2.0
        );
        Ok(())
    }

    #[test]
    fn round_min_max_work_like_on_paper() -> Result<(), TemplateError> {
        let v = Values::new();
        assert_eq!(eval("round(2.675, 2)", &v)?, 2.68);
        assert_eq!(eval("round(2.5)", &v)?, 3.0);
        assert_eq!(eval("round(-2.5)", &v)?, -3.0);
        assert_eq!(eval("max(3, 7.5)", &v)?, 7.5);
        assert_eq!(eval("min(3, 7.5)", &v)?, 3.0);
        assert_eq!(eval("ceil(28.1 / 28)", &v)?, 2.0);
        assert_eq!(eval("round(1234.5678, 2) * 2", &v)?, 2469.14);
        Ok(())
    }

    #[test]
    fn a_drawn_range_value_is_the_stepped_value_at_the_drawn_index() -> Result<(), TemplateError> {
        // The variant a paper stores must keep drawing the same values: the draw picks an index
        // uniformly below the count of stepped values and takes that value, as it always did.
        let var = Var {
            name: "qty".into(),
            domain: VarDomain::Range {
                min: 0.5,
                max: 120.0,
                step: 0.25,
            },
            decimals: 2,
        };
        let all: Vec<f64> = (0..=((120.0 - 0.5) / 0.25 + 1e-9_f64).floor() as u64)
            .map(|i| round_to(0.5 + i as f64 * 0.25, 6))
            .collect();
        assert_eq!(var.count()?, all.len());
        assert_eq!(var.count()?, 479);
        let t = Template {
            vars: vec![var],
            derived: vec![],
            examples: vec![],
        };
        for seed in 0..200u64 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let expected = all[rng.random_range(0..all.len())];
            assert_eq!(t.draw(seed)?.get("qty"), Some(&expected), "seed {seed}");
        }
        Ok(())
    }

    #[test]
    fn textbook_cif_from_cfr() -> Result<(), TemplateError> {
        // CFR 21.5, insurance 110 % at 0.8 %: CIF = 21.5 / (1 − 1.1 × 0.008) = 21.69 (two decimals).
        let t = Template {
            vars: vec![],
            derived: vec![Derived {
                name: "cif".into(),
                expr: "round(cfr / (1 - 1.1 * rate_pct / 100), 2)".into(),
                decimals: 2,
            }],
            examples: vec![],
        };
        let v = t.derive(values(&[("cfr", 21.5), ("rate_pct", 0.8)]))?;
        assert_eq!(v.get("cif"), Some(&21.69));
        Ok(())
    }

    #[test]
    fn unknown_names_and_bad_syntax_are_reported() {
        assert!(
            matches!(eval("a + zz", &values(&[("a", 1.0)])), Err(TemplateError::Unknown { name, .. }) if name == "zz")
        );
        assert!(matches!(
            eval("(1 + ", &Values::new()),
            Err(TemplateError::Syntax { .. })
        ));
        assert!(matches!(
            eval("1 / 0", &Values::new()),
            Err(TemplateError::NotFinite { .. })
        ));
    }

    #[test]
    fn draws_are_reproducible_and_within_range() -> Result<(), TemplateError> {
        let t = Template {
            vars: vec![
                Var {
                    name: "fob".into(),
                    domain: VarDomain::Range {
                        min: 10.0,
                        max: 12.0,
                        step: 0.5,
                    },
                    decimals: 1,
                },
                Var {
                    name: "qty".into(),
                    domain: VarDomain::Values(vec![500.0, 800.0]),
                    decimals: 0,
                },
            ],
            derived: vec![Derived {
                name: "total".into(),
                expr: "fob * qty".into(),
                decimals: 2,
            }],
            examples: vec![],
        };
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let a = t.draw(seed)?;
            assert_eq!(a, t.draw(seed)?, "same seed, same variant");
            let fob = a["fob"];
            assert!([10.0, 10.5, 11.0, 11.5, 12.0].contains(&fob), "{fob}");
            assert!([500.0, 800.0].contains(&a["qty"]));
            assert_eq!(a["total"], fob * a["qty"]);
            seen.insert((fob * 10.0) as i64);
        }
        assert_eq!(seen.len(), 5, "every step value is drawn");
        Ok(())
    }

    #[test]
    fn examples_catch_a_wrong_formula() {
        let mut t = Template {
            vars: vec![Var {
                name: "x".into(),
                domain: VarDomain::Values(vec![1.0]),
                decimals: 0,
            }],
            derived: vec![Derived {
                name: "y".into(),
                expr: "x * 2".into(),
                decimals: 2,
            }],
            examples: vec![Example {
                vars: values(&[("x", 3.0)]),
                expect: values(&[("y", 6.0)]),
                tolerance: 0.005,
            }],
        };
        assert!(t.check_examples().is_empty());
        t.derived[0].expr = "x * 3".into();
        assert!(matches!(
            t.check_examples().as_slice(),
            [TemplateError::ExampleMismatch { got, .. }] if *got == 9.0
        ));
    }

    #[test]
    fn fills_placeholders_with_their_decimals() -> Result<(), TemplateError> {
        let v = values(&[("fob", 20.0), ("cif", 21.6906)]);
        let d: BTreeMap<&str, u32> = [("fob", 1), ("cif", 2)].into_iter().collect();
        assert_eq!(
            fill("FOB {{fob}}, CIF {{ cif }}.", &v, &d)?,
            "FOB 20.0, CIF 21.69."
        );
        assert_eq!(
            fill("{{nope}}", &v, &d),
            Err(TemplateError::Placeholder("nope".into()))
        );
        assert_eq!(fill("{{fob", &v, &d), Err(TemplateError::Unclosed));
        assert_eq!(
            placeholders("a {{x}} b {{ y }}"),
            vec!["x".to_owned(), "y".to_owned()]
        );
        assert_eq!(format_number(-0.001, 2), "0.00");
        assert_eq!(decimals_of(0.25), 2);
        assert_eq!(decimals_of(50.0), 0);
        Ok(())
    }
}
