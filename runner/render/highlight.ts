// Syntax highlighting at build time, with shiki: the same TextMate grammars
// and themes as VS Code, so TypeScript (generics, `type` imports, template
// strings) is coloured the way learners see it in their editor. The page gets
// plain <span>s with classes; no script runs in the browser.
//
// Two themes at once (light and dark): each token's colours become CSS
// variables, and the stylesheet picks one set with prefers-color-scheme.
// Instead of repeating `style="--shiki-light:#..;--shiki-dark:#.."` on every
// token, each distinct style gets a short class, defined once in the CSS.
import { createHighlighterCore, type HighlighterCore, type ShikiTransformer } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';

export const LIGHT_THEME = 'github-light-default';
export const DARK_THEME = 'github-dark-default';

/** Fence languages that get colours; any other is shown as plain text. */
const LANGS: Record<string, string> = {
  ts: 'typescript',
  typescript: 'typescript',
  js: 'javascript',
  javascript: 'javascript',
  json: 'json',
  sh: 'shellscript',
  bash: 'shellscript',
  shell: 'shellscript',
  console: 'shellscript',
  diff: 'diff',
};

let shiki: Promise<HighlighterCore> | undefined;

/** The shiki highlighter, loaded once per process (the grammars ship inside the package). */
function loadShiki(): Promise<HighlighterCore> {
  shiki ??= createHighlighterCore({
    themes: [import('shiki/themes/github-light-default.mjs'), import('shiki/themes/github-dark-default.mjs')],
    langs: [
      import('shiki/langs/typescript.mjs'),
      import('shiki/langs/javascript.mjs'),
      import('shiki/langs/json.mjs'),
      import('shiki/langs/shellscript.mjs'),
      import('shiki/langs/diff.mjs'),
    ],
    // The JavaScript engine needs no WebAssembly and starts faster than Oniguruma.
    engine: createJavaScriptRegexEngine(),
  });
  return shiki;
}

export interface CodeHighlighter {
  /**
   * A `<pre>` block for `code` (its trailing newline dropped). `lineNumbers`,
   * when given, holds the file's line number for each line of `code`.
   */
  highlight(code: string, lang: string, lineNumbers?: readonly number[]): string;
  /** The CSS rules for every token class handed out so far. */
  css(): string;
}

/** A highlighter for one build: its token classes and their CSS belong together. */
export async function createCodeHighlighter(): Promise<CodeHighlighter> {
  const core = await loadShiki();
  const classes = new Map<string, string>();
  const classFor = (style: string) => {
    let name = classes.get(style);
    if (!name) classes.set(style, (name = `t${classes.size}`));
    return name;
  };
  return {
    highlight(code, lang, lineNumbers) {
      const transformer: ShikiTransformer = {
        pre(node) {
          node.properties = { class: 'shiki', tabindex: '0' };
        },
        line(node, line) {
          const n = lineNumbers?.[line - 1];
          if (n !== undefined) node.properties['data-n'] = String(n);
        },
        span(node) {
          const style = node.properties.style;
          if (typeof style === 'string') {
            delete node.properties.style;
            node.properties.class = classFor(style);
          }
        },
      };
      return core.codeToHtml(code.replace(/\n$/, ''), {
        lang: LANGS[lang.toLowerCase()] ?? 'text',
        themes: { light: LIGHT_THEME, dark: DARK_THEME },
        defaultColor: false,
        transformers: [transformer],
      });
    },
    css() {
      return [...classes].map(([style, name]) => `.${name}{${style}}`).join('\n');
    },
  };
}

/** The two themes' own foreground and background colours (for the stylesheet and the contrast test). */
export async function themeColors(): Promise<{ light: { fg: string; bg: string }; dark: { fg: string; bg: string } }> {
  const core = await loadShiki();
  const pick = (name: string) => {
    const t = core.getTheme(name);
    return { fg: t.fg, bg: t.bg };
  };
  return { light: pick(LIGHT_THEME), dark: pick(DARK_THEME) };
}
