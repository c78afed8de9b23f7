//! Where to put the labels of a labelled scatter plot: pixel geometry only, no drawing.

/// Approximate pixel width of a label in the 12-px sans-serif font.
pub fn text_width(t: &str) -> i32 {
    7 * t.chars().count() as i32
}

/// Label height in pixels.
pub const TEXT_H: i32 = 13;

/// Place one label per point (pixel coordinates) so that no two labels overlap each other or
/// cover a point: for each point in turn, the first free spot among right, left, above and
/// below of it, then the same further away (drawn with a leader line). Returns the offset of
/// each label's top-left corner from its point; `area` is `(x0, y0, x1, y1)`, the pixels
/// labels must stay within, and `blocked` are boxes they must avoid (the legend).
pub fn place_labels(
    points: &[(i32, i32)],
    texts: &[&str],
    area: (i32, i32, i32, i32),
    blocked: &[(i32, i32, i32, i32)],
) -> Vec<(i32, i32)> {
    let overlaps = |a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)| {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    };
    let mut placed: Vec<(i32, i32, i32, i32)> = blocked.to_vec();
    let dots: Vec<(i32, i32, i32, i32)> = points
        .iter()
        .map(|&(x, y)| (x - 5, y - 5, x + 6, y + 6))
        .collect();
    let mut out = Vec::with_capacity(points.len());
    for (i, (&(x, y), t)) in points.iter().zip(texts).enumerate() {
        let w = text_width(t);
        let mut best = (7, -TEXT_H / 2 - 1);
        'search: for ring in 1..=8 {
            let r = 7 * ring;
            let candidates = [
                (r, -TEXT_H / 2),
                (-w - r, -TEXT_H / 2),
                (-w / 2, -TEXT_H - r),
                (-w / 2, r),
                (r, -TEXT_H - r / 2),
                (r, r / 2),
                (-w - r, -TEXT_H - r / 2),
                (-w - r, r / 2),
            ];
            for (dx, dy) in candidates {
                let b = (x + dx, y + dy, x + dx + w, y + dy + TEXT_H);
                let inside = b.0 >= area.0 && b.1 >= area.1 && b.2 <= area.2 && b.3 <= area.3;
                let free = placed.iter().all(|&p| !overlaps(p, b))
                    && dots
                        .iter()
                        .enumerate()
                        .all(|(j, &d)| j == i || !overlaps(d, b));
                if inside && free {
                    best = (dx, dy);
                    break 'search;
                }
            }
        }
        placed.push((x + best.0, y + best.1, x + best.0 + w, y + best.1 + TEXT_H));
        out.push(best);
    }
    out
}
