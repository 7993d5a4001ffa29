/// The reference's per-document cleaning (`utils/nlp.py`), step by step:
///
/// 1. lower-case (Unicode, like Python's `str.lower`);
/// 2. delete every non-greedy `<…>` span that does not cross a newline (HTML such as `<br />`),
///    like `re.sub(r"<.*?>", "", text)`;
/// 3. delete every ASCII punctuation character (Python's `string.punctuation`) — deleted, not
///    replaced by a space, so "don't" → "dont" and "e-mail" → "email";
/// 4. split on whitespace (Python's `str.split()` definition) and, when `removeStopWords` is on,
///    drop the tokens in the stop-word list.
///
/// A document whose token list comes out empty is dropped by the pipeline, with its label.
public struct TextCleaner: Sendable {
  /// Whether step 4 drops the tokens in `stopWords`.
  public var removeStopWords: Bool
  /// The tokens dropped when `removeStopWords` is on; NLTK's English list by default.
  public var stopWords: Set<String>

  /// Creates a cleaner; stop words are removed by default, using NLTK's English list.
  public init(removeStopWords: Bool = true, stopWords: Set<String> = StopWords.englishNLTKSet) {
    self.removeStopWords = removeStopWords
    self.stopWords = stopWords
  }

  /// `string.punctuation`: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
  static func isASCIIPunctuation(_ s: Unicode.Scalar) -> Bool {
    switch s.value {
    case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
    default: return false
    }
  }

  /// What Python's `str.split()` splits on: Unicode White_Space plus the four ASCII separators
  /// U+001C…U+001F, which Python also counts.
  static func isPythonWhitespace(_ s: Unicode.Scalar) -> Bool {
    s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
  }

  /// Step 2 on a scalar array: a `<` starts a deleted span when a `>` follows on the same line;
  /// the span ends at the first such `>` (non-greedy).
  static func deletingTags(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var kept: [Unicode.Scalar] = []
    kept.reserveCapacity(scalars.count)
    var i = 0
    while i < scalars.count {
      if scalars[i] == "<" {
        var j = i + 1
        while j < scalars.count && scalars[j] != ">" && scalars[j] != "\n" { j += 1 }
        if j < scalars.count && scalars[j] == ">" {
          i = j + 1
          continue
        }
      }
      kept.append(scalars[i])
      i += 1
    }
    return kept
  }

  /// The document's tokens after all four steps.
  public func tokens(_ text: String) -> [String] {
    let scalars = Self.deletingTags(Array(text.lowercased().unicodeScalars))
    var tokens: [String] = []
    var current = String.UnicodeScalarView()
    func flush() {
      guard !current.isEmpty else { return }
      let token = String(current)
      current = String.UnicodeScalarView()
      if removeStopWords && stopWords.contains(token) { return }
      tokens.append(token)
    }
    for s in scalars {
      // Punctuation is deleted first, so it never separates tokens: "e-mail" is one token.
      if Self.isASCIIPunctuation(s) { continue }
      if Self.isPythonWhitespace(s) { flush() } else { current.append(s) }
    }
    flush()
    return tokens
  }

  /// The cleaned document as the reference stores it: tokens joined by single spaces.
  public func clean(_ text: String) -> String { tokens(text).joined(separator: " ") }
}
