// Regular expressions for `pattern` and `patternProperties`.
//
// JSON Schema asks for ECMA-262 regular expressions; this uses ICU's dialect through
// NSRegularExpression, which agrees on everything the official suite's core files use. Known
// differences: ICU's `\d`, `\w`, `\s` and `\b` are Unicode-aware where ECMA-262 (without the `u`
// flag) is ASCII-only; ICU accepts some constructs ECMA-262 rejects (possessive quantifiers,
// `\Q…\E`, inline flags like `(?i)`), and ECMA-262's `\cX` and `[^]` are not supported by ICU.

import Foundation

/// A compiled regular expression; matching searches anywhere in the string (patterns are not
/// implicitly anchored).
struct Pattern: @unchecked Sendable {
    // NSRegularExpression is immutable and documented as safe to use from several threads.
    let source: String
    private let regex: NSRegularExpression

    init(_ source: String) throws(PatternError) {
        self.source = source
        do {
            regex = try NSRegularExpression(pattern: source, options: [])
        } catch {
            throw PatternError(reason: error.localizedDescription)
        }
    }

    func matches(_ string: String) -> Bool {
        let range = NSRange(string.startIndex..<string.endIndex, in: string)
        return regex.firstMatch(in: string, options: [], range: range) != nil
    }
}

/// Why ICU refused a pattern.
struct PatternError: Error {
    let reason: String
}
