/// NLTK's English stop-word list, as `nltk.corpus.stopwords.words("english")` returns it in the
/// NLTK data release the reference used (the common 179-word version, in NLTK's order; it was
/// later extended with more contractions). The reference downloads it at import time; we ship it
/// so runs need no network. Source: nltk_data, corpora/stopwords/english.
///
/// The list is compared with tokens *after* punctuation deletion (see `TextCleaner`), so its
/// entries with an apostrophe ("don't") never match: "don't" has become "dont", which is not
/// listed, while the bare stems ("don", "t", "s", "ll") are.
public enum StopWords {
  /// The 179 stop words, in NLTK's order.
  public static let englishNLTK: [String] = [
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "you're", "you've",
    "you'll", "you'd", "your", "yours", "yourself", "yourselves", "he", "him", "his", "himself",
    "she", "she's", "her", "hers", "herself", "it", "it's", "its", "itself", "they", "them",
    "their", "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "that'll",
    "these", "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has",
    "had", "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but", "if", "or",
    "because", "as", "until", "while", "of", "at", "by", "for", "with", "about", "against",
    "between", "into", "through", "during", "before", "after", "above", "below", "to", "from",
    "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once",
    "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more",
    "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than",
    "too", "very", "s", "t", "can", "will", "just", "don", "don't", "should", "should've", "now",
    "d", "ll", "m", "o", "re", "ve", "y", "ain", "aren", "aren't", "couldn", "couldn't", "didn",
    "didn't", "doesn", "doesn't", "hadn", "hadn't", "hasn", "hasn't", "haven", "haven't", "isn",
    "isn't", "ma", "mightn", "mightn't", "mustn", "mustn't", "needn", "needn't", "shan", "shan't",
    "shouldn", "shouldn't", "wasn", "wasn't", "weren", "weren't", "won", "won't", "wouldn",
    "wouldn't"
  ]

  /// `englishNLTK` as a set, for lookups.
  public static let englishNLTKSet: Set<String> = Set(englishNLTK)
}
