// The widget's styles, inside its shadow root so the host page's CSS cannot break it (and vice versa).
export const WIDGET_CSS = `
:host { display: block; max-width: 26rem; font: 16px/1.45 system-ui, sans-serif; color: #1b1b1f; }
.card { border: 1px solid #c4c6d0; border-radius: 12px; padding: 1rem 1.25rem; background: #fff; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; }
h3 { font-size: .95rem; margin: 1rem 0 .25rem; color: #44474f; }
.status { display: flex; align-items: center; gap: .5rem; margin: .25rem 0 .75rem; font-weight: 600; }
.dot { width: .75rem; height: .75rem; border-radius: 50%; background: #74777f; }
[data-state="listening"] .dot { background: #146c2e; }
[data-state="thinking"] .dot { background: #8c5000; }
[data-state="speaking"] .dot { background: #0b57d0; }
[data-state="transferring"] .dot, [data-state="human"] .dot { background: #6f43c0; }
[data-state="error"] .dot { background: #b3261e; }
.controls { display: flex; gap: .5rem; flex-wrap: wrap; }
button { font: inherit; font-weight: 600; padding: .55rem 1.1rem; border-radius: 999px; border: 2px solid #0b57d0; background: #fff; color: #0b57d0; cursor: pointer; }
button.primary { background: #0b57d0; color: #fff; }
button.danger { background: #b3261e; border-color: #b3261e; color: #fff; }
button[aria-pressed="true"] { background: #1b1b1f; border-color: #1b1b1f; color: #fff; }
button:focus-visible { outline: 3px solid #1b1b1f; outline-offset: 2px; }
.quality { display: inline-flex; align-items: flex-end; gap: 2px; height: 1rem; margin-bottom: .5rem; }
.quality .bar { width: 5px; background: #c4c6d0; }
.quality .bar:nth-child(1) { height: 40%; } .quality .bar:nth-child(2) { height: 70%; } .quality .bar:nth-child(3) { height: 100%; }
.quality .bar.on { background: #146c2e; }
.quality[data-quality="poor"] .bar.on { background: #8c5000; }
.problem { margin-top: .75rem; padding: .75rem; border-radius: 8px; background: #ffdad6; color: #410002; }
.problem p { margin: 0 0 .5rem; }
.captions { list-style: none; margin: 0; padding: .5rem; max-height: 14rem; overflow-y: auto; background: #f3f3f8; border-radius: 8px; min-height: 3rem; }
.captions li { margin: .2rem 0; }
.captions .who { font-weight: 700; }
.captions .you .who { color: #0b57d0; }
.captions .agent .who { color: #146c2e; }
[hidden] { display: none !important; }
`;
