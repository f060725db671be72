"""The 3x3 legend of a bivariate choropleth as accessible inline SVG, with its text alternative.

One job: the grid the app shows beside a bivariate map (the A4 exports draw the
same grid with :func:`atlas.carto.bivariate_grid`). The x axis is the first
indicator from low (left) to high (right), the y axis the second from low
(bottom) to high (top); each cell is a class of :data:`atlas.classify.BIVARIATE_COLOURS`
with the number of areas in it. The SVG has ``role="img"``, a ``<title>`` and a
``<desc>``, and is followed by a table saying the same in words, so a screen
reader gets the legend without the picture. Labels are escaped.
"""

from __future__ import annotations

import html

from .classify import BIVARIATE_COLOURS, BIVARIATE_THIRDS

CELL = 34
LEFT, TOP = 24, 26


def ink_for(colour: str) -> str:
    """Black or white text, whichever contrasts more with a cell colour (WCAG relative luminance)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def bivariate_key_svg(x_label: str, y_label: str, counts: dict[str, int] | None = None) -> str:
    """The 3x3 legend as inline SVG followed by its table alternative (an HTML fragment).

    Parameters
    ----------
    x_label, y_label : str
        The first (x axis) and second (y axis) indicator.
    counts : dict, optional
        Areas in each class ``"<x>-<y>"`` (1 = lowest third), written in the cells and the table.

    Returns
    -------
    str
        HTML: a ``<figure>`` holding the SVG and a ``<table>`` of the nine classes.
    """
    esc = html.escape
    cells, rows = [], []
    for key, colour in BIVARIATE_COLOURS.items():
        i, j = int(key[0]) - 1, int(key[2]) - 1
        x, y = LEFT + i * CELL, TOP + (2 - j) * CELL
        n = None if counts is None else int(counts.get(key, 0))
        words = f"{x_label} {BIVARIATE_THIRDS[i]}, {y_label} {BIVARIATE_THIRDS[j]}"
        cells.append(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{colour}" stroke="#ffffff">'
                     f'<title>{esc(words)}</title></rect>')
        if n is not None:
            cells.append(f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 4}" text-anchor="middle" font-size="11" '
                         f'fill="{ink_for(colour)}">{int(n)}</text>')
        rows.append(f'<tr><td><span style="display:inline-block;width:1em;height:1em;background:{colour};'
                    f'border:1px solid #555" aria-hidden="true"></span></td><td>{esc(BIVARIATE_THIRDS[i])}</td>'
                    f'<td>{esc(BIVARIATE_THIRDS[j])}</td><td>{"" if n is None else int(n)}</td></tr>')
    size = 3 * CELL
    longest = max(len(x_label), len(y_label)) + 2
    width, height = max(LEFT + size + 8, LEFT + 7 * longest + 8), TOP + size + 40
    bottom = TOP + size
    desc = (f"Three by three grid: left to right {x_label} from its lowest to its highest third; bottom to top "
            f"{y_label} from its lowest to its highest third. Dark purple-brown: both high; grey: both low.")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" aria-labelledby="bv-title bv-desc">'
           f'<title id="bv-title">Legend: {esc(x_label)} against {esc(y_label)}</title>'
           f'<desc id="bv-desc">{esc(desc)}</desc>{"".join(cells)}'
           f'<line x1="{LEFT}" y1="{bottom + 8}" x2="{LEFT + size}" y2="{bottom + 8}" stroke="#222" '
           f'marker-end="url(#bv-arrow)"/>'
           f'<line x1="{LEFT - 8}" y1="{bottom}" x2="{LEFT - 8}" y2="{TOP}" stroke="#222" marker-end="url(#bv-arrow)"/>'
           f'<defs><marker id="bv-arrow" markerWidth="6" markerHeight="6" refX="5" refY="3" orient="auto">'
           f'<path d="M0,0 L6,3 L0,6 z" fill="#222"/></marker></defs>'
           f'<text x="{LEFT}" y="{bottom + 26}" text-anchor="start" font-size="12" fill="#1a1a1a">'
           f'{esc(x_label)} →</text>'
           f'<text x="{LEFT - 12}" y="{TOP - 10}" text-anchor="start" font-size="12" fill="#1a1a1a">'
           f'↑ {esc(y_label)}</text></svg>')
    table = ('<table class="bivariate-key"><caption>The nine classes: thirds of each indicator, and how many '
             'areas are in each</caption><thead><tr><th scope="col">Colour</th>'
             f'<th scope="col">{esc(x_label)}</th><th scope="col">{esc(y_label)}</th>'
             f'<th scope="col">Areas</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return f'<figure class="bivariate-key">{svg}<figcaption>{esc(desc)}</figcaption></figure>{table}'
