using System.Numerics.Tensors;
using Unroll;

namespace WordVectorsSample;

/// <summary>
/// Analogy questions in the manner of word2vec's questions-words.txt: groups of word pairs (a, b) sharing one relation,
/// and from each two pairs of a group the question "a₁ is to b₁ as a₂ is to ?", whose answer is b₂. The pairs are words
/// of both corpora (the State of the Union addresses and Shakespeare); a question with a word the vectors lack is skipped.
/// </summary>
internal static class Analogies
{
    /// <summary>The groups: a name and its pairs.</summary>
    public static readonly (string Name, (string A, string B)[] Pairs)[] Groups =
    [
        ("male : female", [("man", "woman"), ("men", "women"), ("he", "she"), ("his", "her"), ("boy", "girl"), ("boys", "girls"),
            ("father", "mother"), ("fathers", "mothers"), ("son", "daughter"), ("sons", "daughters"), ("brother", "sister"),
            ("brothers", "sisters"), ("husband", "wife"), ("husbands", "wives"), ("king", "queen"), ("lord", "lady"),
            ("lords", "ladies"), ("prince", "princess"), ("duke", "duchess"), ("uncle", "aunt"), ("nephew", "niece"),
            ("grandfather", "grandmother"), ("mr", "mrs"), ("sir", "madam")]),
        ("country : adjective", [("america", "american"), ("france", "french"), ("britain", "british"), ("england", "english"),
            ("germany", "german"), ("japan", "japanese"), ("china", "chinese"), ("russia", "russian"), ("mexico", "mexican"),
            ("spain", "spanish"), ("cuba", "cuban"), ("canada", "canadian"), ("italy", "italian"), ("israel", "israeli"),
            ("iraq", "iraqi"), ("iran", "iranian"), ("korea", "korean"), ("vietnam", "vietnamese"), ("europe", "european"),
            ("africa", "african"), ("asia", "asian"), ("egypt", "egyptian"), ("greece", "greek"), ("rome", "roman"),
            ("india", "indian"), ("poland", "polish")]),
        ("singular : plural", [("nation", "nations"), ("state", "states"), ("law", "laws"), ("year", "years"), ("war", "wars"),
            ("child", "children"), ("right", "rights"), ("program", "programs"), ("country", "countries"), ("family", "families"),
            ("city", "cities"), ("problem", "problems"), ("friend", "friends"), ("enemy", "enemies"), ("power", "powers"),
            ("treaty", "treaties"), ("citizen", "citizens"), ("worker", "workers"), ("soldier", "soldiers"), ("school", "schools"),
            ("day", "days"), ("eye", "eyes"), ("heart", "hearts"), ("hand", "hands"), ("word", "words")]),
        ("present : past", [("make", "made"), ("give", "gave"), ("take", "took"), ("go", "went"), ("see", "saw"), ("come", "came"),
            ("know", "knew"), ("find", "found"), ("begin", "began"), ("speak", "spoke"), ("write", "wrote"), ("grow", "grew"),
            ("bring", "brought"), ("think", "thought"), ("tell", "told"), ("stand", "stood"), ("lose", "lost"), ("win", "won"),
            ("fall", "fell"), ("rise", "rose"), ("send", "sent"), ("pay", "paid"), ("buy", "bought"), ("hold", "held")]),
        ("adjective : comparative", [("great", "greater"), ("large", "larger"), ("small", "smaller"), ("strong", "stronger"),
            ("high", "higher"), ("low", "lower"), ("long", "longer"), ("young", "younger"), ("old", "older"), ("rich", "richer"),
            ("poor", "poorer"), ("hard", "harder"), ("wide", "wider"), ("fast", "faster"), ("deep", "deeper"), ("good", "better"),
            ("bad", "worse"), ("safe", "safer"), ("easy", "easier"), ("cheap", "cheaper"), ("sweet", "sweeter"), ("fair", "fairer")]),
    ];

    /// <summary>
    /// The score of one group: its questions, those whose four words have vectors, and the right answers among them by
    /// <see cref="Solve"/> (top 1 and top 5) and by the course's <see cref="WordVectors.CompleteAnalogy(string, string, string)"/> (top 1).
    /// </summary>
    public readonly record struct Score(string Group, int Questions, int Answered, int Top1, int Top5, int CourseTop1);

    /// <summary>
    /// word2vec's answer to "a is to b as c is to ?" (3CosAdd, as its compute-accuracy): the words, not a, b or c, whose
    /// vectors are nearest by cosine to <c>e_b − e_a + e_c</c>, best first, into the spans; the vectors should have unit length.
    /// </summary>
    /// <returns>How many were written.</returns>
    public static int Solve(WordVectors vectors, string a, string b, string c, Span<int> indices, Span<float> similarities)
    {
        Span<float> query = stackalloc float[vectors.Dimension];
        TensorPrimitives.Subtract(vectors.Vector(b), vectors.Vector(a), query);
        TensorPrimitives.Add(query, vectors.Vector(c), query);
        return vectors.Nearest(query, [vectors.IndexOf(a), vectors.IndexOf(b), vectors.IndexOf(c)], indices, similarities);
    }

    /// <summary>Asks every question of every group both ways and counts the answers that are b₂.</summary>
    public static Score[] Evaluate(WordVectors vectors)
    {
        Span<int> indices = stackalloc int[5];
        Span<float> similarities = stackalloc float[5];
        var scores = new Score[Groups.Length];
        for (int g = 0; g < Groups.Length; g++)
        {
            var (name, pairs) = Groups[g];
            int questions = 0, answered = 0, top1 = 0, top5 = 0, courseTop1 = 0;
            foreach (var (a1, b1) in pairs)
            {
                foreach (var (a2, b2) in pairs)
                {
                    if (a1 == a2) continue;
                    questions++;
                    int expected = vectors.IndexOf(b2);
                    if (expected < 0 || vectors.IndexOf(a1) < 0 || vectors.IndexOf(b1) < 0 || vectors.IndexOf(a2) < 0) continue;
                    answered++;
                    int found = Solve(vectors, a1, b1, a2, indices, similarities);
                    if (found > 0 && indices[0] == expected) top1++;
                    if (indices[..found].Contains(expected)) top5++;
                    if (vectors.CompleteAnalogy(a1, b1, a2) == b2) courseTop1++;
                }
            }
            scores[g] = new Score(name, questions, answered, top1, top5, courseTop1);
        }
        return scores;
    }
}
