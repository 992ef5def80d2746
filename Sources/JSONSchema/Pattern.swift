// Regular expressions for `pattern` and `patternProperties`.
//
// JSON Schema asks for ECMA-262 regular expressions; this uses ICU's dialect through
// NSRegularExpression, after rewriting the constructs whose meaning differs and that schemas
// commonly use:
//   - `\d`, `\D`, `\w`, `\W` are ASCII-only in ECMA-262 but Unicode-aware in ICU: rewritten to
//     explicit ASCII classes (`[0-9]`, `[^0-9]`, `[A-Za-z0-9_]`, `[^A-Za-z0-9_]`; inside a class
//     `\d` and `\w` become the ranges `0-9` and `A-Za-z0-9_`).
//   - `$` matches only at the very end in ECMA-262 (no `m` flag), but ICU's `$` also matches
//     before a final line terminator, so `^abc$` would accept "abc\n": rewritten to `\z`.
// Differences that remain: `\D`/`\W` inside a character class keep ICU's Unicode meaning; `\b`
// and `\s` follow ICU's Unicode definitions; ICU accepts some syntax ECMA-262 rejects
// (possessive quantifiers, `\Q…\E`, inline flags such as `(?i)`); ECMA-262's `\cX` and `[^]`
// are not available. Patterns are searched, not anchored, as JSON Schema requires.

import Foundation

/// A compiled regular expression; matching searches anywhere in the string.
struct Pattern: @unchecked Sendable {
    // NSRegularExpression is immutable and documented as safe to use from several threads.
    /// The pattern as written in the schema.
    let source: String
    private let regex: NSRegularExpression

    init(_ source: String) throws(PatternError) {
        self.source = source
        do {
            regex = try NSRegularExpression(pattern: Self.icuPattern(fromECMA: source), options: [])
        } catch {
            throw PatternError(reason: error.localizedDescription)
        }
    }

    func matches(_ string: String) -> Bool {
        let range = NSRange(string.startIndex..<string.endIndex, in: string)
        return regex.firstMatch(in: string, options: [], range: range) != nil
    }

    /// Rewrites the ECMA-262 constructs listed at the top of this file into ICU syntax with the
    /// ECMA-262 meaning. Everything else passes through unchanged.
    static func icuPattern(fromECMA source: String) -> String {
        var output = ""
        var inClass = false
        var characters = source.makeIterator()
        while let character = characters.next() {
            switch character {
            case "\\":
                guard let escaped = characters.next() else {
                    output.append("\\")  // a trailing backslash: let ICU report it
                    break
                }
                switch (escaped, inClass) {
                case ("d", false): output += "[0-9]"
                case ("D", false): output += "[^0-9]"
                case ("w", false): output += "[A-Za-z0-9_]"
                case ("W", false): output += "[^A-Za-z0-9_]"
                case ("d", true): output += "0-9"
                case ("w", true): output += "A-Za-z0-9_"
                default:
                    output.append("\\")
                    output.append(escaped)
                }
            case "[" where !inClass:
                inClass = true
                output.append(character)
                // A "]" right after "[" or "[^" is a literal in ICU but closes an empty class in
                // ECMA-262; both are rare, so it is passed through as written.
            case "]" where inClass:
                inClass = false
                output.append(character)
            case "$" where !inClass:
                output += "\\z"
            default:
                output.append(character)
            }
        }
        return output
    }
}

/// Why ICU refused a pattern.
struct PatternError: Error {
    let reason: String
}
