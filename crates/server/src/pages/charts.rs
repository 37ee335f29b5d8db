//! Server-drawn SVG charts (no script): grouped bars and line series, as coordinates the templates
//! place into `<rect>` and `<polyline>` elements.

/// A bar in SVG coordinates.
pub struct Rect {
    /// Left.
    pub x: i64,
    /// Top.
    pub y: i64,
    /// Width.
    pub w: i64,
    /// Height.
    pub h: i64,
    /// Fill.
    pub fill: &'static str,
    /// Hover text.
    pub title: String,
}

/// A line series.
pub struct Line {
    /// Stroke colour.
    pub stroke: &'static str,
    /// Dashed (reference lines).
    pub dashed: bool,
    /// `x,y x,y …`.
    pub points: String,
    /// Legend text.
    pub name: String,
}

/// A label under the x axis.
pub struct Label {
    /// Centre.
    pub x: i64,
    /// Text.
    pub text: String,
}

/// A chart ready for a template.
pub struct Chart {
    /// Width.
    pub width: i64,
    /// Height.
    pub height: i64,
    /// Baseline y.
    pub base: i64,
    /// Bars.
    pub rects: Vec<Rect>,
    /// Lines.
    pub lines: Vec<Line>,
    /// X labels.
    pub labels: Vec<Label>,
    /// Top-of-scale text.
    pub max_label: String,
}

const PLOT_H: i64 = 180;
const TOP: i64 = 14;

/// Bars of one group: `(value, colour, hover text)`.
pub type BarGroup = (String, Vec<(i64, &'static str, String)>);

impl Chart {
    /// The chart in words, for screen readers (`aria-label`): every bar's value, every line's
    /// name, and the scale.
    pub fn summary(&self) -> String {
        let mut parts: Vec<&str> = self.rects.iter().map(|r| r.title.as_str()).collect();
        parts.extend(self.lines.iter().map(|l| l.name.as_str()));
        parts.push(&self.max_label);
        parts.join("；")
    }
}

/// Grouped bars: one group per label, one bar per `(value, colour, title)`.
pub fn grouped_bars(groups: &[BarGroup], scale_text: &dyn Fn(i64) -> String) -> Chart {
    let max = groups.iter().flat_map(|g| g.1.iter().map(|b| b.0)).max().unwrap_or(0).max(1);
    let per = groups.iter().map(|g| g.1.len()).max().unwrap_or(1) as i64;
    let group_w = per * 26 + 30;
    let mut rects = Vec::new();
    let mut labels = Vec::new();
    for (i, (label, bars)) in groups.iter().enumerate() {
        let x0 = 50 + i as i64 * group_w;
        for (k, (v, fill, title)) in bars.iter().enumerate() {
            let h = (*v).max(0) * PLOT_H / max;
            rects.push(Rect {
                x: x0 + k as i64 * 26,
                y: TOP + PLOT_H - h,
                w: 22,
                h,
                fill,
                title: title.clone(),
            });
        }
        labels.push(Label {
            x: x0 + per * 13,
            text: label.clone(),
        });
    }
    Chart {
        width: 60 + groups.len() as i64 * group_w,
        height: TOP + PLOT_H + 30,
        base: TOP + PLOT_H,
        rects,
        lines: Vec::new(),
        labels,
        max_label: scale_text(max),
    }
}

/// Line series over the same x labels.
pub fn lines(labels: &[String], series: Vec<(String, &'static str, bool, Vec<i64>)>, scale_text: &dyn Fn(i64) -> String) -> Chart {
    let max = series.iter().flat_map(|s| s.3.iter().copied()).max().unwrap_or(0).max(1);
    let step = 50;
    let x = |i: usize| 50 + i as i64 * step;
    let out = series
        .into_iter()
        .map(|(name, stroke, dashed, values)| Line {
            stroke,
            dashed,
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{},{}", x(i), TOP + PLOT_H - (*v).max(0) * PLOT_H / max))
                .collect::<Vec<_>>()
                .join(" "),
            name,
        })
        .collect();
    Chart {
        width: 80 + labels.len() as i64 * step,
        height: TOP + PLOT_H + 30,
        base: TOP + PLOT_H,
        rects: Vec::new(),
        lines: out,
        labels: labels.iter().enumerate().map(|(i, t)| Label { x: x(i), text: t.clone() }).collect(),
        max_label: scale_text(max),
    }
}

/// One bar per label against a dashed reference line across the plot, both on one scale (e.g.
/// each generic's completion against the share of the contract period elapsed). Bars are
/// `(label, value, colour, hover text)`; the line is `(value, colour, legend text)`.
pub fn bars_against_line(
    bars: &[(String, i64, &'static str, String)],
    line: (i64, &'static str, String),
    scale_text: &dyn Fn(i64) -> String,
) -> Chart {
    let max = bars.iter().map(|b| b.1).chain([line.0]).max().unwrap_or(0).max(1);
    let group_w = 120;
    let y = |v: i64| TOP + PLOT_H - v.max(0) * PLOT_H / max;
    let width = 60 + bars.len().max(1) as i64 * group_w;
    let mut rects = Vec::new();
    let mut labels = Vec::new();
    for (i, (label, v, fill, title)) in bars.iter().enumerate() {
        let x0 = 50 + i as i64 * group_w;
        let top = y(*v);
        rects.push(Rect {
            x: x0 + 30,
            y: top,
            w: 50,
            h: TOP + PLOT_H - top,
            fill,
            title: title.clone(),
        });
        labels.push(Label {
            x: x0 + 55,
            text: label.clone(),
        });
    }
    let (value, stroke, name) = line;
    Chart {
        width,
        height: TOP + PLOT_H + 30,
        base: TOP + PLOT_H,
        rects,
        lines: vec![Line {
            stroke,
            dashed: true,
            points: format!("40,{} {},{}", y(value), width - 10, y(value)),
            name,
        }],
        labels,
        max_label: scale_text(max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_their_line_share_one_scale() {
        let c = bars_against_line(
            &[
                ("甲".into(), 5_000, "#6aa84f", "50%".into()),
                ("乙".into(), 12_000, "#b71c1c", "120%".into()),
            ],
            (10_000, "#52606d", "时间进度 100%".into()),
            &|v| format!("{}%", v / 100),
        );
        assert_eq!(c.rects[1].y, TOP, "the tallest bar reaches the top");
        assert_eq!(c.rects[0].h, PLOT_H / 2 * 5_000 / 6_000);
        assert_eq!(c.max_label, "120%");
        let line_y = TOP + PLOT_H - 10_000 * PLOT_H / 12_000;
        assert!(c.lines[0].dashed && c.lines[0].points.starts_with(&format!("40,{line_y} ")));
    }
}
