using DateTranslation;
using Xunit;

namespace Unroll.Tests.DateTranslation;

/// <summary>The DateTranslation sample's token ids: the constants agree, encoding round-trips, bad input names its argument.</summary>
public class CharVocabularyTests
{
    [Fact]
    public void Constants_AgreeWithTheAlphabets()
    {
        Assert.Equal(CharVocabulary.SourceVocabularySize, CharVocabulary.SourceAlphabet.Length + 1);
        Assert.Equal(CharVocabulary.SourceAlphabet.Distinct().Count(), CharVocabulary.SourceAlphabet.Length);
        Assert.Equal(CharVocabulary.SourceAlphabet.Order().ToArray(), CharVocabulary.SourceAlphabet.ToCharArray()); // ordinal order
        Assert.Equal(CharVocabulary.End, CharVocabulary.TargetAlphabet.Length);
        Assert.Equal(CharVocabulary.End + 1, CharVocabulary.TargetClasses);
        Assert.Equal(CharVocabulary.TargetClasses, CharVocabulary.Start);
        Assert.Equal(CharVocabulary.Start + 1, CharVocabulary.TargetVocabularySize);
        Assert.Equal(11, CharVocabulary.TargetLength);
        Assert.Equal(0, CharVocabulary.Pad);
    }

    [Fact]
    public void EncodeSource_WritesIdsThenPads()
    {
        var ids = new int[CharVocabulary.MaxSourceLength];
        ids.AsSpan().Fill(-7);
        Assert.Equal(6, CharVocabulary.EncodeSource("9/3/93", ids));
        int Id(char c) => CharVocabulary.SourceAlphabet.IndexOf(c) + 1;
        Assert.Equal(new[] { Id('9'), Id('/'), Id('3'), Id('/'), Id('9'), Id('3') }, ids[..6]);
        Assert.All(ids[6..], id => Assert.Equal(CharVocabulary.Pad, id));
        Assert.Equal(1, CharVocabulary.SourceId(' '));
        Assert.Equal(CharVocabulary.SourceVocabularySize - 1, CharVocabulary.SourceId('z'));
        Assert.Equal(-1, CharVocabulary.SourceId('M'));
    }

    [Fact]
    public void EverySource_RoundTrips()
    {
        var random = new SeededRandom(9);
        var ids = new int[CharVocabulary.MaxSourceLength];
        for (int i = 0; i < 10_000; i++)
        {
            (string human, _) = DateFormats.Next(random);
            Assert.Equal(human.Length, CharVocabulary.EncodeSource(human, ids));
            Assert.Equal(human, CharVocabulary.DecodeSource(ids));
        }
    }

    [Fact]
    public void EncodeTarget_GivesTheTeacherForcingPair()
    {
        var input = new int[CharVocabulary.TargetLength];
        var output = new int[CharVocabulary.TargetLength];
        CharVocabulary.EncodeTarget("1993-03-09", input, output);
        Assert.Equal(new[] { CharVocabulary.Start, 1, 9, 9, 3, 10, 0, 3, 10, 0, 9 }, input);
        Assert.Equal(new[] { 1, 9, 9, 3, 10, 0, 3, 10, 0, 9, CharVocabulary.End }, output);
        Assert.Equal("1993-03-09", CharVocabulary.DecodeTarget(output));
        Assert.Equal(input[1..], output[..^1]);
    }

    [Fact]
    public void DecodeTarget_StopsAtEnd()
    {
        Assert.Equal("12", CharVocabulary.DecodeTarget([1, 2, CharVocabulary.End, 5, CharVocabulary.Start]));
        Assert.Equal("", CharVocabulary.DecodeTarget([CharVocabulary.End]));
        Assert.Equal("0-9", CharVocabulary.DecodeTarget([0, 10, 9]));
    }

    [Fact]
    public void EveryTarget_RoundTrips()
    {
        var random = new SeededRandom(10);
        var input = new int[CharVocabulary.TargetLength];
        var output = new int[CharVocabulary.TargetLength];
        for (int i = 0; i < 1000; i++)
        {
            (_, string iso) = DateFormats.Next(random);
            CharVocabulary.EncodeTarget(iso, input, output);
            Assert.Equal(iso, CharVocabulary.DecodeTarget(output));
            Assert.All(output, id => Assert.InRange(id, 0, CharVocabulary.TargetClasses - 1));
        }
    }

    [Theory]
    [InlineData("9 March 1993")]  // uppercase
    [InlineData("9 mär 1993")]    // outside ASCII
    [InlineData("9\tmar 1993")]   // a tab
    [InlineData("9 mar 1993 and then some more characters")] // longer than MaxSourceLength
    public void EncodeSource_RejectsTextItCannotEncode(string text)
    {
        var ids = new int[CharVocabulary.MaxSourceLength];
        Assert.Equal("text", Assert.Throws<ArgumentException>(() => CharVocabulary.EncodeSource(text, ids)).ParamName);
    }

    [Theory]
    [InlineData("1993/03/09")] // a character outside the target alphabet
    [InlineData("1993-3-9")]   // too short
    [InlineData("1993-03-091")] // too long
    public void EncodeTarget_RejectsNonIsoText(string iso)
    {
        var input = new int[CharVocabulary.TargetLength];
        var output = new int[CharVocabulary.TargetLength];
        Assert.Equal("iso", Assert.Throws<ArgumentException>(() => CharVocabulary.EncodeTarget(iso, input, output)).ParamName);
    }

    [Fact]
    public void EncodeTarget_RejectsSpansOfTheWrongLength()
    {
        var right = new int[CharVocabulary.TargetLength];
        var wrong = new int[CharVocabulary.TargetLength - 1];
        Assert.Equal("targetInput", Assert.Throws<ArgumentException>(() => CharVocabulary.EncodeTarget("1993-03-09", wrong, right)).ParamName);
        Assert.Equal("targetOutput", Assert.Throws<ArgumentException>(() => CharVocabulary.EncodeTarget("1993-03-09", right, wrong)).ParamName);
    }

    [Fact]
    public void Decoding_RejectsIdsThatAreNotCharacters()
    {
        Assert.Equal("ids", Assert.Throws<ArgumentException>(() => CharVocabulary.DecodeTarget([1, CharVocabulary.Start])).ParamName);
        Assert.Equal("ids", Assert.Throws<ArgumentException>(() => CharVocabulary.DecodeTarget([-1])).ParamName);
        Assert.Equal("ids", Assert.Throws<ArgumentException>(() => CharVocabulary.DecodeSource([3, CharVocabulary.SourceVocabularySize])).ParamName);
    }

    [Fact]
    public void MakingATrainingPair_DoesNotAllocate()
    {
        var random = new SeededRandom(2);
        var human = new char[DateFormats.MaxLength];
        var iso = new char[DateFormats.IsoLength];
        var source = new int[CharVocabulary.MaxSourceLength];
        var input = new int[CharVocabulary.TargetLength];
        var output = new int[CharVocabulary.TargetLength];
        void MakePairs(int count)
        {
            for (int i = 0; i < count; i++)
            {
                int length = DateFormats.Next(random, human, iso);
                CharVocabulary.EncodeSource(human.AsSpan(0, length), source);
                CharVocabulary.EncodeTarget(iso, input, output);
            }
        }
        MakePairs(100); // warm up (tiering, static tables)
        long before = GC.GetAllocatedBytesForCurrentThread();
        MakePairs(1000);
        Assert.Equal(0L, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
