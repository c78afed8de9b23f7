//! Plots (plotters, PNG and SVG) with an embedded DejaVu Sans font, so no system font library is
//! needed: per-class accuracy bars and training curves.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use super::labels::{place_labels, text_width, TEXT_H};
use crate::error::{Error, Result};

static FONT: Once = Once::new();

/// Register the embedded font as "sans-serif" (idempotent).
pub fn init_fonts() {
    FONT.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/DejaVuSans.ttf"),
        );
    });
}

/// A plotting error in words (not Rust's debug text), naming the file.
fn perr<E: std::fmt::Display>(path: &Path) -> impl FnOnce(E) -> Error + '_ {
    move |e| Error::Plot {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Draw the same body into `<stem>.png` and `<stem>.svg` (the body is expanded once per
/// backend, since plotters' backends are different types).
macro_rules! both {
    ($stem:expr, $size:expr, |$root:ident| $body:block) => {{
        init_fonts();
        let png = $stem.with_extension("png");
        let svg = $stem.with_extension("svg");
        {
            let $root = BitMapBackend::new(&png, $size).into_drawing_area();
            $root.fill(&WHITE).map_err(perr(&png))?;
            let r: std::result::Result<(), String> = (|| $body)();
            r.map_err(perr(&png))?;
            $root.present().map_err(perr(&png))?;
        }
        {
            let $root = SVGBackend::new(&svg, $size).into_drawing_area();
            $root.fill(&WHITE).map_err(perr(&svg))?;
            let r: std::result::Result<(), String> = (|| $body)();
            r.map_err(perr(&svg))?;
            $root.present().map_err(perr(&svg))?;
        }
        Ok(())
    }};
}

/// The legend every chart draws: at `pos`, on a translucent white box with a black border,
/// labels at `size` points.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    ch: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
    size: u32,
) -> std::result::Result<(), String> {
    ch.configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", size))
        .draw()
        .map_err(|e| e.to_string())
}

/// Write one rotated label under the centre of each of `names.len()` equal-width categories of
/// a chart whose plotting area spans the pixel ranges `(xr, yr)` (the mesh cannot label
/// category centres).
fn category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    (xr, yr): (std::ops::Range<i32>, std::ops::Range<i32>),
    names: &[String],
) -> std::result::Result<(), String> {
    let k = names.len().max(1);
    let style = ("sans-serif", 13)
        .into_font()
        .transform(FontTransform::Rotate90)
        .color(&BLACK);
    for (i, n) in names.iter().enumerate() {
        let px = xr.start + ((i as f64 + 0.5) / k as f64 * (xr.end - xr.start) as f64) as i32;
        root.draw(&Text::new(n.clone(), (px + 6, yr.end + 6), style.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Series colours: first run blue, second orange, third green.
pub const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// Per-class accuracy bars, classes sorted by the first series' accuracy (descending), one bar
/// per series per class; `series` = (label, accuracy per class in [0, 1]).
pub fn per_class_bars(
    stem: &Path,
    title: &str,
    names: &[String],
    series: &[(String, Vec<f64>)],
) -> Result<()> {
    let k = names.len();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| series[0].1[b].total_cmp(&series[0].1[a]));
    let s = series.len().max(1) as f64;
    both!(stem, (1100, 560), |root| {
        let mut ch = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(110)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..k as f64, 0f64..112f64)
            .map_err(|e| e.to_string())?;
        ch.configure_mesh()
            .disable_x_mesh()
            .y_desc("test accuracy (%)")
            .x_labels(0)
            .y_label_formatter(&|y| {
                if *y <= 100.0 {
                    format!("{y:.0}")
                } else {
                    String::new()
                }
            })
            .x_label_style(
                ("sans-serif", 13)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        for (j, (label, acc)) in series.iter().enumerate() {
            let c = COLORS[j % COLORS.len()];
            let w = 0.8 / s;
            ch.draw_series(order.iter().enumerate().map(|(pos, &cls)| {
                let x0 = pos as f64 + 0.1 + j as f64 * w;
                Rectangle::new([(x0, 0.0), (x0 + w, 100.0 * acc[cls])], c.filled())
            }))
            .map_err(|e| e.to_string())?
            .label(label.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled()));
        }
        // Class names under their bars (drawn on the root: the mesh cannot label category centres).
        let labels: Vec<String> = order.iter().map(|&c| names[c].clone()).collect();
        category_labels(&root, ch.plotting_area().get_pixel_range(), &labels)?;
        draw_legend(&mut ch, SeriesLabelPosition::UpperRight, 15)?;
        Ok(())
    })
}

/// Line plot of `(label, points)` series.
pub fn lines(
    stem: &Path,
    title: &str,
    xdesc: &str,
    ydesc: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<()> {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (_, p) in series {
        for (x, y) in p.iter().filter(|(_, y)| y.is_finite()) {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
            y0 = y0.min(*y);
            y1 = y1.max(*y);
        }
    }
    if !x0.is_finite() {
        return Ok(());
    }
    let pad = ((y1 - y0) * 0.08).max(1e-6);
    if ![x1 - x0, y0 - pad, y1 + pad].iter().all(|v| v.is_finite()) {
        return Err(crate::error::data_err(
            stem,
            format!("cannot plot: the axis range [{x0}, {x1}] × [{y0}, {y1}] is not finite (values too large)"),
        ));
    }
    both!(stem, (800, 500), |root| {
        let mut ch = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(x0..x1.max(x0 + 1.0), (y0 - pad)..(y1 + pad))
            .map_err(|e| e.to_string())?;
        ch.configure_mesh()
            .x_desc(xdesc)
            .y_desc(ydesc)
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        for (j, (label, p)) in series.iter().enumerate() {
            let c = COLORS[j % COLORS.len()];
            ch.draw_series(LineSeries::new(p.iter().copied(), c.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            ch.draw_series(p.iter().map(|&(x, y)| Circle::new((x, y), 3, c.filled())))
                .map_err(|e| e.to_string())?;
        }
        draw_legend(&mut ch, SeriesLabelPosition::LowerRight, 15)?;
        Ok(())
    })
}

/// A labelled point: `(x, y, label)`.
pub type LabeledPoint = (f64, f64, String);

/// Scatter of labelled points, one colour per series; optional `y = x` diagonal; the y axis is
/// logarithmic when `log_y` (bounds span orders of magnitude).
pub fn scatter_labeled(
    stem: &Path,
    title: &str,
    xdesc: &str,
    ydesc: &str,
    series: &[(String, Vec<LabeledPoint>)],
    diagonal: bool,
    log_y: bool,
) -> Result<()> {
    let pts: Vec<&LabeledPoint> = series
        .iter()
        .flat_map(|s| s.1.iter())
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    if pts.is_empty() {
        return Ok(());
    }
    let (mut x0, mut x1) = (
        pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min),
        pts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max),
    );
    let (mut y0, mut y1) = (
        pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min),
        pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
    );
    if diagonal {
        y0 = y0.min(x0.max(1e-3));
        y1 = y1.max(x1);
    }
    let xp = ((x1 - x0) * 0.1).max(1e-3);
    x0 -= xp;
    x1 += xp;
    // Headroom above the data for the legend (upper left).
    let rows = (series.len() + usize::from(diagonal)) as f64;
    if log_y {
        y0 = (y0.max(1e-4)) / 1.5;
        y1 *= 1.5 * (y1 / y0).powf(0.06 * rows);
    } else {
        let yp = ((y1 - y0) * 0.1).max(1e-3);
        y0 -= yp;
        y1 += yp + (y1 - y0) * 0.07 * rows;
    }
    if ![x0, x1, y0, y1].iter().all(|v| v.is_finite()) {
        return Err(crate::error::data_err(
            stem,
            format!("cannot plot: the axis range [{x0}, {x1}] × [{y0}, {y1}] is not finite (values too large)"),
        ));
    }
    macro_rules! body {
        ($ch:ident) => {{
            $ch.configure_mesh()
                .x_desc(xdesc)
                .y_desc(ydesc)
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(|e| e.to_string())?;
            if diagonal {
                let n = 50;
                let lo = x0.max(y0);
                let line: Vec<(f64, f64)> = (0..=n)
                    .map(|i| lo + (x1 - lo) * i as f64 / n as f64)
                    .map(|v| (v, v))
                    .collect();
                $ch.draw_series(LineSeries::new(line, BLACK.mix(0.5).stroke_width(1)))
                    .map_err(|e| e.to_string())?
                    .label("bound = observed error")
                    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.mix(0.5)));
            }
            // Labels placed in pixel space so that they do not collide.
            let finite: Vec<(usize, &LabeledPoint)> = series
                .iter()
                .enumerate()
                .flat_map(|(j, s)| s.1.iter().map(move |q| (j, q)))
                .filter(|(_, q)| q.0.is_finite() && q.1.is_finite())
                .collect();
            let px: Vec<(i32, i32)> = finite
                .iter()
                .map(|(_, q)| $ch.backend_coord(&(q.0, q.1)))
                .collect();
            let (xr, yr) = $ch.plotting_area().get_pixel_range();
            let texts: Vec<&str> = finite.iter().map(|(_, q)| q.2.as_str()).collect();
            // The legend's box in the upper left (see below): entries of 20 px, text 7 px/char.
            let legend_w = 40 + series.iter().map(|s| text_width(&s.0)).max().unwrap_or(0);
            let legend_h = 12 + 20 * (series.len() + usize::from(diagonal)) as i32;
            let legend = (
                xr.start,
                yr.start,
                xr.start + legend_w + 10,
                yr.start + legend_h + 10,
            );
            let offsets =
                place_labels(&px, &texts, (xr.start, yr.start, xr.end, yr.end), &[legend]);
            for (j, (label, _)) in series.iter().enumerate() {
                let c = COLORS[j % COLORS.len()];
                let mine: Vec<(&LabeledPoint, (i32, i32))> = finite
                    .iter()
                    .zip(&offsets)
                    .filter(|((s, _), _)| *s == j)
                    .map(|((_, q), o)| (*q, *o))
                    .collect();
                $ch.draw_series(mine.into_iter().map(|((x, y, t), (dx, dy))| {
                    let far = dx.abs() > 20 || dy.abs() > 20;
                    // The leader line ends at the label box's point nearest to the dot.
                    let end = (0.clamp(dx, dx + text_width(t)), 0.clamp(dy, dy + TEXT_H));
                    EmptyElement::at((*x, *y))
                        + PathElement::new(
                            if far { vec![(0, 0), end] } else { vec![] },
                            BLACK.mix(0.4),
                        )
                        + Circle::new((0, 0), 5, c.filled())
                        + Text::new(t.clone(), (dx, dy), ("sans-serif", 12).into_font())
                }))
                .map_err(|e| e.to_string())?
                .label(label.clone())
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, c.filled()));
            }
            draw_legend(&mut $ch, SeriesLabelPosition::UpperLeft, 14)?;
        }};
    }
    both!(stem, (900, 620), |root| {
        if log_y {
            let mut ch = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 20))
                .margin(14)
                .x_label_area_size(45)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
                .map_err(|e| e.to_string())?;
            body!(ch);
        } else {
            let mut ch = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 20))
                .margin(14)
                .x_label_area_size(45)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| e.to_string())?;
            body!(ch);
        }
        Ok(())
    })
}

/// Per class (in the given order): a stacked bar of bound terms and, beside it, the observed
/// error. `stacks[i]` holds the term values; `terms` their names.
pub fn stacked_terms(
    stem: &Path,
    title: &str,
    names: &[String],
    terms: &[&str],
    stacks: &[Vec<f64>],
    observed: &[f64],
) -> Result<()> {
    let k = names.len();
    // A stack with a non-finite or overflowing term is not drawn (plotters loops forever on an
    // infinite axis); the title names it.
    let drawable: Vec<bool> = stacks
        .iter()
        .map(|s| s.iter().all(|v| v.is_finite()) && (s.iter().sum::<f64>() * 1.12).is_finite())
        .collect();
    let skipped: Vec<&str> = names
        .iter()
        .zip(&drawable)
        .filter(|(_, d)| !**d)
        .map(|(n, _)| n.as_str())
        .collect();
    let top = stacks
        .iter()
        .zip(&drawable)
        .filter(|(_, d)| **d)
        .map(|(s, _)| s.iter().sum::<f64>())
        .chain(observed.iter().copied().filter(|v| v.is_finite()))
        .fold(0.0, f64::max)
        * 1.12;
    let title = if skipped.is_empty() {
        title.to_string()
    } else {
        format!("{title} (not drawn, non-finite: {})", skipped.join(", "))
    };
    let title = title.as_str();
    let stacks: Vec<Vec<f64>> = stacks
        .iter()
        .zip(&drawable)
        .map(|(s, d)| if *d { s.clone() } else { vec![0.0; s.len()] })
        .collect();
    let observed: Vec<f64> = observed
        .iter()
        .map(|v| if v.is_finite() { *v } else { 0.0 })
        .collect();
    both!(stem, (1100, 600), |root| {
        let mut ch = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(110)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..k as f64, 0f64..top.max(1e-6))
            .map_err(|e| e.to_string())?;
        ch.configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("value (error scale)")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        for (t, name) in terms.iter().enumerate() {
            let c = COLORS[t % COLORS.len()];
            ch.draw_series((0..k).map(|i| {
                let base: f64 = stacks[i][..t].iter().sum();
                Rectangle::new(
                    [
                        (i as f64 + 0.08, base),
                        (i as f64 + 0.5, base + stacks[i][t]),
                    ],
                    c.filled(),
                )
            }))
            .map_err(|e| e.to_string())?
            .label(name.to_string())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled()));
        }
        let oc = RGBColor(90, 90, 90);
        ch.draw_series((0..k).map(|i| {
            Rectangle::new(
                [(i as f64 + 0.55, 0.0), (i as f64 + 0.92, observed[i])],
                oc.filled(),
            )
        }))
        .map_err(|e| e.to_string())?
        .label("observed test error")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], oc.filled()));
        category_labels(&root, ch.plotting_area().get_pixel_range(), names)?;
        draw_legend(&mut ch, SeriesLabelPosition::UpperLeft, 14)?;
        Ok(())
    })
}
