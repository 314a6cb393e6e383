//! Charts drawn on the server as inline SVG (no script, no chart library): predicted scores with their
//! 80 % intervals against the pass lines, and progress over time. Every text is escaped.

use std::fmt::Write as _;

use handlebars::html_escape;

/// One row of the score chart.
pub struct ScoreRow<'a> {
    pub label: &'a str,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub max: f64,
    pub pass: f64,
}

/// Horizontal interval bars: the 80 % interval as a band, the mean as a dot, the pass line as a tick.
pub fn scores(rows: &[ScoreRow<'_>], title: &str) -> String {
    let (w, row_h, left, right) = (320.0, 34.0, 64.0, 12.0);
    let h = row_h * rows.len() as f64 + 8.0;
    let span = w - left - right;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        html_escape(title)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 8.0 + row_h * i as f64;
        let x = |v: f64| left + span * (v / r.max).clamp(0.0, 1.0);
        let _ = write!(
            svg,
            r#"<text x="0" y="{ty}" class="label">{label}</text><rect x="{left}" y="{by}" width="{span}" height="10" class="track"/><rect x="{lx:.1}" y="{by}" width="{bw:.1}" height="10" class="band"/><line x1="{px:.1}" x2="{px:.1}" y1="{py1}" y2="{py2}" class="pass"/><circle cx="{mx:.1}" cy="{cy}" r="5" class="mean"/><text x="{tx:.1}" y="{ty2}" class="value">{mean:.0} ({low:.0}–{high:.0})</text>"#,
            ty = y + 10.0,
            label = html_escape(r.label),
            by = y + 2.0,
            lx = x(r.low),
            bw = (x(r.high) - x(r.low)).max(1.0),
            px = x(r.pass),
            py1 = y - 2.0,
            py2 = y + 16.0,
            mx = x(r.mean),
            cy = y + 7.0,
            tx = left,
            ty2 = y + 28.0,
            mean = r.mean,
            low = r.low,
            high = r.high,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One day of progress.
pub struct DayPoint {
    pub answers: u32,
    /// Share of answers right that day.
    pub right: f64,
    /// Overall mastery at the end of the day (0–1).
    pub mastery: f64,
}

/// Answers per day as bars, overall mastery as a line (0–100 %), the last 30 days with answers.
pub fn progress(days: &[DayPoint], title: &str) -> String {
    let days = &days[days.len().saturating_sub(30)..];
    let (w, h, pad) = (320.0, 140.0, 16.0);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        html_escape(title)
    );
    if days.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let most = days.iter().map(|d| d.answers).max().unwrap_or(1).max(1) as f64;
    let step = (w - 2.0 * pad) / days.len() as f64;
    let plot = h - 2.0 * pad;
    let mut line = String::new();
    for (i, d) in days.iter().enumerate() {
        let x = pad + step * i as f64;
        let bh = plot * f64::from(d.answers) / most;
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" class="bar"><title>{n} · {r:.0} %</title></rect>"#,
            y = h - pad - bh,
            bw = (step * 0.7).clamp(1.0, 24.0),
            n = d.answers,
            r = 100.0 * d.right,
        );
        let (px, py) = (
            x + (step * 0.35).min(12.0),
            h - pad - plot * d.mastery.clamp(0.0, 1.0),
        );
        let _ = write!(line, "{}{px:.1},{py:.1}", if i == 0 { "" } else { " " });
        let _ = write!(
            svg,
            r#"<circle cx="{px:.1}" cy="{py:.1}" r="3" class="dot"><title>{m:.0} %</title></circle>"#,
            m = 100.0 * d.mastery
        );
    }
    let _ = write!(
        svg,
        r#"<polyline points="{line}" class="line"/><line x1="{pad}" x2="{x2}" y1="{y}" y2="{y}" class="axis"/></svg>"#,
        x2 = w - pad,
        y = h - pad,
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_escaped_text() {
        let s = scores(
            &[ScoreRow {
                label: "<A>",
                mean: 70.0,
                low: 60.0,
                high: 80.0,
                max: 100.0,
                pass: 60.0,
            }],
            "t",
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("&lt;A&gt;") && !s.contains("<A>"));
        let p = progress(
            &[
                DayPoint {
                    answers: 3,
                    right: 0.5,
                    mastery: 0.4,
                },
                DayPoint {
                    answers: 6,
                    right: 0.8,
                    mastery: 0.6,
                },
            ],
            "p",
        );
        assert_eq!(p.matches("<rect").count(), 2);
        assert!(p.contains("<polyline"));
    }
}
