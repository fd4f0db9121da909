import { html, type Token, Tokenizer, TokenizerMode } from "parse5";

/**
 * A synchronous HTML token stream with exact source offsets, built on parse5's spec-compliant
 * Tokenizer. parse5-sax-parser would do the same, but it is a node:stream Transform, and the
 * core must run without Node. Like a real parser, it switches the tokenizer into raw-text
 * modes after <style>, <script>, <title>… so markup-looking text inside them is not a tag.
 */
export interface StartTag {
  tagName: string;
  attrs: Token.Attribute[];
  selfClosing: boolean;
  sourceCodeLocation: Token.ElementLocation | null;
}
export interface EndTag {
  tagName: string;
  sourceCodeLocation: Token.Location | null;
}
export interface Comment {
  sourceCodeLocation: Token.Location | null;
}
export interface TokenEvents {
  startTag?(t: StartTag): void;
  endTag?(t: EndTag): void;
  comment?(c: Comment): void;
  /** Character data, entities decoded, in pieces. */
  text?(chars: string): void;
}

const $ = html.TAG_ID;

function modeAfter(tagId: html.TAG_ID): (typeof TokenizerMode)[keyof typeof TokenizerMode] | null {
  switch (tagId) {
    case $.TEXTAREA:
    case $.TITLE:
      return TokenizerMode.RCDATA;
    case $.PLAINTEXT:
      return TokenizerMode.PLAINTEXT;
    case $.SCRIPT:
      return TokenizerMode.SCRIPT_DATA;
    case $.STYLE:
    case $.IFRAME:
    case $.XMP:
    case $.NOEMBED:
    case $.NOFRAMES:
    case $.NOSCRIPT:
      return TokenizerMode.RAWTEXT;
    default:
      return null;
  }
}

export function tokenize(source: string, on: TokenEvents): void {
  const noop = () => {};
  let tokenizer: Tokenizer;
  const handler = {
    onStartTag(t: Token.TagToken) {
      on.startTag?.({
        tagName: t.tagName,
        attrs: t.attrs,
        selfClosing: t.selfClosing,
        sourceCodeLocation: t.location,
      });
      const mode = t.selfClosing ? null : modeAfter(t.tagID);
      if (mode !== null) tokenizer.state = mode;
    },
    onEndTag(t: Token.TagToken) {
      on.endTag?.({ tagName: t.tagName, sourceCodeLocation: t.location });
    },
    onComment(t: Token.CommentToken) {
      on.comment?.({ sourceCodeLocation: t.location });
    },
    onCharacter(t: Token.CharacterToken) {
      on.text?.(t.chars);
    },
    onWhitespaceCharacter(t: Token.CharacterToken) {
      on.text?.(t.chars);
    },
    onDoctype: noop,
    onEof: noop,
    onNullCharacter: noop,
  };
  tokenizer = new Tokenizer({ sourceCodeLocationInfo: true }, handler);
  tokenizer.write(source, true);
}
