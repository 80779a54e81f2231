/**
 * The one sanitizer for text from the network on its way to a terminal or a text log.
 * Escaped (shown, not interpreted): C0 controls but tab (so ESC, and with it every CSI/OSC
 * sequence such as an OSC 52 clipboard write or a title change, and CR/LF that would fake
 * another line), DEL, C1 controls (8-bit CSI/OSC), the bidi controls of "Trojan Source"
 * (CVE-2021-42574: U+202A–U+202E, U+2066–U+2069, LRM/RLM/ALM) and the Unicode line and
 * paragraph separators.
 */

/** Everything the sanitizer escapes; names may hold none of it (nor a tab). */
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_OR_TAB = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export function sanitize(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * Invisible in a name: format characters (zero-width space and joiners, word joiner, BOM, soft
 * hyphen, ...) and the Hangul fillers. "ad\u200bmin" would print exactly as "admin".
 */
const INVISIBLE = /[\p{Cf}\u115f\u1160\u3164\uffa0]/u;

/**
 * The format characters emoji are made of, which do show: a zero-width joiner between two
 * pictographs (👩‍👩‍👧) and the tag characters of a subdivision flag (🏴 + tags + cancel tag).
 */
const EMOJI_JOINER =
  /(?<=\p{Extended_Pictographic}[\p{M}\p{Emoji_Modifier}]*)\u200d(?=\p{Extended_Pictographic})/gu;
const FLAG_TAGS = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu;

/** True when a name holds only printable, visible characters (no control, format character, separator or tab). */
export function isPrintableName(name: string): boolean {
  if (UNSAFE_OR_TAB.test(name)) return false;
  return !INVISIBLE.test(name.replace(FLAG_TAGS, '\u{1F3F4}').replace(EMOJI_JOINER, ''));
}
