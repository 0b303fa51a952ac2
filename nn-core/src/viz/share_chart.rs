//! Shares of a group as horizontal bars: how many of how many, in two tones (e.g. the
//! students of a class who earned each part, in green, and who made each mistake, in red).

use ab_glyph::{Font, PxScale, ScaleFont};

use super::canvas::{fit_size, font, Align, Canvas, Rgb, TEXT, WHITE};
use super::figure::Figure;
use crate::error::{NnError, Result};

/// One bar of a [`share_chart`]: `count` of `of`, drawn as that share of the full width and
/// labelled `count / of`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareBar {
    /// What the bar counts (e.g. a part's name, a mistake's name).
    pub label: String,
    /// How many.
    pub count: usize,
    /// Out of how many (0: an empty bar).
    pub of: usize,
    /// Its colour.
    pub tone: Tone,
}

/// The colour of a [`ShareBar`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Green: something earned.
    Good,
    /// Red: something gone wrong.
    Bad,
}

const LABEL_W: usize = 330;
const BAR_W: usize = 420;
const ROW_H: usize = 26;
const TOP: usize = 56;
/// The space between two runs of bars of different tones.
const GAP: usize = 16;
const GRID: Rgb = [225, 225, 225];
const AXIS_TEXT: Rgb = [110, 110, 110];

/// Draws `text` with its baseline at `baseline` (the canvas places a line box by its top).
fn text_on(c: &mut Canvas, text: &str, x: f32, baseline: f32, size: f32, color: Rgb, align: Align) {
    let ascent = font().as_scaled(PxScale::from(size)).ascent();
    c.text(text, x, baseline - ascent, size, color, align);
}

/// One horizontal bar per [`ShareBar`], in order, its length the share `count / of` of the
/// full width, labelled on the left with its label and on the right with `count / of`;
/// gridlines at 0, 25, 50, 75 and 100 %; a gap wherever the tone changes; the title above.
/// Labels too long for their column are drawn smaller (down to 8 px).
///
/// An error names the bar whose count is more than its total.
///
/// ```
/// use nn_core::viz::{share_chart, ShareBar, Tone};
/// let bars = [
///     ShareBar { label: "Backpropagation (40)".into(), count: 21, of: 30, tone: Tone::Good },
///     ShareBar { label: "sigmoid sign".into(), count: 4, of: 30, tone: Tone::Bad },
/// ];
/// let fig = share_chart("A class of 30", &bars).unwrap();
/// assert_eq!(fig.width(), 840);
/// ```
pub fn share_chart(title: &str, bars: &[ShareBar]) -> Result<Figure> {
    if let Some(b) = bars.iter().find(|b| b.count > b.of) {
        return Err(NnError::InvalidArgument {
            name: "bars",
            reason: format!("the bar {:?} counts {} of {}: more than its total", b.label, b.count, b.of),
        });
    }
    let sections = bars.windows(2).filter(|w| w[0].tone != w[1].tone).count();
    let width = LABEL_W + BAR_W + 90;
    let height = TOP + bars.len() * ROW_H + sections * GAP + 20;
    let mut c = Canvas::new(width, height, WHITE);
    text_on(&mut c, title, 16.0, 30.0, fit_size(title, 18.0, 10.0, width as f32 - 32.0), TEXT, Align::Left);
    let grid_bottom = height - 14;
    for q in 0..=4 {
        let x = LABEL_W + BAR_W * q / 4;
        c.fill_rect(x as i64, (TOP - 8) as i64, 1, grid_bottom - (TOP - 8), GRID);
        text_on(&mut c, &format!("{}%", q * 25), x as f32 - 10.0, (TOP - 12) as f32, 11.0, AXIS_TEXT, Align::Left);
    }
    let mut y = TOP;
    for (i, bar) in bars.iter().enumerate() {
        if i > 0 && bars[i - 1].tone != bar.tone {
            y += GAP;
        }
        let color = match bar.tone {
            Tone::Good => [44, 160, 44],
            Tone::Bad => [214, 39, 40],
        };
        let len = (BAR_W * bar.count).checked_div(bar.of).unwrap_or(0);
        c.fill_rect(LABEL_W as i64, (y + 4) as i64, len.max(1), ROW_H - 8, color);
        let baseline = (y + ROW_H - 8) as f32;
        let size = fit_size(&bar.label, 13.0, 8.0, (LABEL_W - 16) as f32);
        text_on(&mut c, &bar.label, (LABEL_W - 8) as f32, baseline, size, TEXT, Align::Right);
        let share = format!("{} / {}", bar.count, bar.of);
        text_on(&mut c, &share, (LABEL_W + len + 6) as f32, baseline, 12.0, TEXT, Align::Left);
        y += ROW_H;
    }
    Figure::from_canvas(&c, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::viz::tests_play::decode_png;

    #[test]
    fn each_bar_is_its_share_of_the_width_in_its_tone() {
        let bars = [
            ShareBar { label: "Feedforward and cost (30)".into(), count: 3, of: 4, tone: Tone::Good },
            ShareBar { label: "none".into(), count: 0, of: 4, tone: Tone::Good },
            ShareBar { label: "sigmoid sign".into(), count: 1, of: 4, tone: Tone::Bad },
        ];
        let fig = share_chart("Class", &bars).unwrap();
        let (w, h, px) = decode_png(fig.png_bytes());
        assert_eq!((w, h), (840, TOP + 3 * ROW_H + GAP + 20));
        let at = |x: usize, y: usize| [px[(y * w + x) * 3], px[(y * w + x) * 3 + 1], px[(y * w + x) * 3 + 2]];
        let run = |y: usize, c: Rgb| (LABEL_W..w).take_while(|&x| at(x, y) == c).count();
        let middle = |row: usize, gap: usize| TOP + row * ROW_H + gap + ROW_H / 2;
        // 3 / 4 of 420 px, then 1 px for 0 / 4, then (after the gap) 1 / 4 in red.
        assert_eq!(run(middle(0, 0), [44, 160, 44]), 315);
        assert_eq!(run(middle(1, 0), [44, 160, 44]), 1);
        assert_eq!(run(middle(2, GAP), [214, 39, 40]), 105);
        // The labels are drawn: dark pixels left of the bars on every row.
        for (row, gap) in [(0, 0), (1, 0), (2, GAP)] {
            let y0 = TOP + row * ROW_H + gap;
            let dark =
                (y0..y0 + ROW_H).flat_map(|y| (0..LABEL_W).map(move |x| (x, y))).filter(|&(x, y)| at(x, y)[0] < 128);
            assert!(dark.count() > 20, "row {row}");
        }
    }

    #[test]
    fn a_count_above_its_total_is_an_error_naming_the_bar() {
        let bars = [ShareBar { label: "Backpropagation".into(), count: 5, of: 4, tone: Tone::Good }];
        let e = share_chart("Class", &bars).unwrap_err().to_string();
        assert!(e.contains("Backpropagation") && e.contains("5 of 4"), "{e}");
        assert!(share_chart("Empty", &[]).is_ok());
    }
}
