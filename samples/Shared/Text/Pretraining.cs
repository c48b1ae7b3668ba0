using System.Runtime.InteropServices;

namespace Unroll.Samples.Language;

/// <summary>
/// Word vectors pretrained in process with <see cref="Word2Vec"/> (skip-gram, negative sampling) where a course would
/// download GloVe: one worker, so that the same seed gives the same vectors.
/// </summary>
internal static class Pretraining
{
    /// <summary>
    /// Trains vectors of <paramref name="dimension"/> for every id of <paramref name="vocabulary"/> on the sentences
    /// (their words not in the vocabulary count as its unknown word) for <paramref name="epochs"/> passes.
    /// </summary>
    public static WordVectors Train(Vocabulary vocabulary, IEnumerable<string[]> sentences, int dimension, int epochs, int seed)
    {
        var corpus = new List<int>();
        foreach (string[] sentence in sentences)
        {
            int start = corpus.Count;
            CollectionsMarshal.SetCount(corpus, start + sentence.Length);
            vocabulary.Encode(sentence, CollectionsMarshal.AsSpan(corpus)[start..]);
        }
        long[] counts = new long[vocabulary.Count];
        foreach (int id in corpus) counts[id]++;
        var word2vec = new Word2Vec(CollectionsMarshal.AsSpan(corpus), counts, dimension, window: 5, negatives: 5, sample: 1e-3,
            epochs: epochs, seed: (ulong)seed, workers: 1);
        word2vec.Train();
        return new WordVectors(vocabulary.Words, word2vec.InputVectors.ToArray());
    }

    /// <summary>The <paramref name="count"/> nearest words to <paramref name="word"/> by cosine similarity, as "word 0.71, …".</summary>
    public static string Neighbours(WordVectors vectors, string word, int count)
    {
        int[] indices = new int[count];
        float[] similarities = new float[count];
        int found = vectors.Nearest(word, indices, similarities);
        return string.Join(", ", Enumerable.Range(0, found).Select(i => $"{vectors.Words[indices[i]]} {similarities[i]:F2}"));
    }
}
