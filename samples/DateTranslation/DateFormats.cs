using System.Globalization;
using Unroll;

namespace DateTranslation;

/// <summary>
/// The data of the exercise: dates written the many ways people write them ("tuesday 9 march 1993",
/// "9/3/93", "the 9th of march, 1993"…), each paired with its ISO form ("1993-03-09"). Dates are
/// uniform between <see cref="MinDate"/> and <see cref="MaxDate"/>, formats uniform over
/// <see cref="FormatCount"/>; the same seed gives the same pairs on every platform.
/// </summary>
/// <remarks>
/// <para>Every format is English and lowercase. Numeric ones are always day first (<c>9/3/93</c> is
/// the 9th of March), and two-digit years stand for 1950–2049 (<c>50</c>…<c>99</c> → 19xx,
/// <c>00</c>…<c>49</c> → 20xx), so every string names exactly one date. Weekday names are those of the date.</para>
/// <para>A format is a pattern (<see cref="Pattern"/>) of literal text and fields in braces:
/// <c>{d}</c> day (9), <c>{dd}</c> two-digit day (09), <c>{dth}</c> ordinal day (9th), <c>{M}</c> month (3),
/// <c>{MM}</c> two-digit month (03), <c>{MMM}</c> month abbreviation (mar), <c>{MMMM}</c> month name (march),
/// <c>{yy}</c> two-digit year (93), <c>{yyyy}</c> year (1993), <c>{ddd}</c> weekday abbreviation (tue),
/// <c>{dddd}</c> weekday name (tuesday).</para>
/// </remarks>
public static class DateFormats
{
    // One line per format; the comment is 1993-03-09 in it. Append new formats at the end, so that a
    // seed keeps meaning the same data.
    private static readonly string[] Patterns =
    [
        "{d} {MMMM} {yyyy}",                  // 9 march 1993
        "{d} {MMM} {yyyy}",                   // 9 mar 1993
        "{dd} {MMM} {yyyy}",                  // 09 mar 1993
        "{d} {MMM} {yy}",                     // 9 mar 93
        "{MMMM} {d}, {yyyy}",                 // march 9, 1993
        "{MMMM} {d} {yyyy}",                  // march 9 1993
        "{MMM} {d} {yyyy}",                   // mar 9 1993
        "{MMM} {dd}, {yyyy}",                 // mar 09, 1993
        "{dth} {MMMM} {yyyy}",                // 9th march 1993
        "{dth} of {MMMM} {yyyy}",             // 9th of march 1993
        "the {dth} of {MMMM}, {yyyy}",        // the 9th of march, 1993
        "{MMMM} {dth}, {yyyy}",               // march 9th, 1993
        "{dddd} {d} {MMMM} {yyyy}",           // tuesday 9 march 1993
        "{dddd}, {d} {MMMM} {yyyy}",          // tuesday, 9 march 1993
        "{ddd}, {d} {MMM} {yyyy}",            // tue, 9 mar 1993
        "{dddd}, {MMMM} {d}, {yyyy}",         // tuesday, march 9, 1993
        "{ddd} {MMM} {d} {yyyy}",             // tue mar 9 1993
        "{dddd} the {dth} of {MMMM} {yyyy}",  // tuesday the 9th of march 1993
        "{d}/{M}/{yy}",                       // 9/3/93
        "{d}/{M}/{yyyy}",                     // 9/3/1993
        "{dd}/{MM}/{yyyy}",                   // 09/03/1993
        "{dd}.{MM}.{yyyy}",                   // 09.03.1993
        "{d}.{M}.{yy}",                       // 9.3.93
        "{dd}-{MM}-{yyyy}",                   // 09-03-1993
        "{d}-{MMM}-{yyyy}",                   // 9-mar-1993
        "{dd}-{MMM}-{yy}",                    // 09-mar-93
    ];

    private static readonly string[] MonthNames =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly string[] MonthAbbreviations =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    // Indexed by DayOfWeek: Sunday is 0.
    private static readonly string[] WeekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    private static readonly string[] WeekdayAbbreviations = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    /// <summary>The longest string any format gives any date: "wednesday the 22nd of september 1993", 36 characters.</summary>
    public const int MaxLength = 36;

    /// <summary>Characters of an ISO date, <c>yyyy-MM-dd</c>.</summary>
    public const int IsoLength = 10;

    /// <summary>The first date generated, 1950-01-01.</summary>
    public static DateOnly MinDate { get; } = new(1950, 1, 1);

    /// <summary>The last date generated, 2049-12-31.</summary>
    public static DateOnly MaxDate { get; } = new(2049, 12, 31);

    /// <summary>The number of formats; formats are numbered 0 to <c>FormatCount - 1</c>.</summary>
    public static int FormatCount => Patterns.Length;

    /// <summary>The pattern of <paramref name="format"/>, e.g. <c>"{dddd} {d} {MMMM} {yyyy}"</c> (see the remarks of <see cref="DateFormats"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not a format number.</exception>
    public static string Pattern(int format)
    {
        CheckFormat(format);
        return Patterns[format];
    }

    /// <summary>The next pair: a date, uniform between <see cref="MinDate"/> and <see cref="MaxDate"/>, in a format chosen uniformly.</summary>
    public static (string Human, string Iso) Next(SeededRandom random)
    {
        Span<char> human = stackalloc char[MaxLength];
        Span<char> iso = stackalloc char[IsoLength];
        int length = Next(random, human, iso);
        return (new string(human[..length]), new string(iso));
    }

    /// <summary>
    /// The next pair without allocating: writes the human form into <paramref name="human"/> and the ISO
    /// form into <paramref name="iso"/>, and returns the human form's length. Draws the same numbers as
    /// <see cref="Next(SeededRandom)"/>, so both give the same pairs for a seed.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="human"/> is shorter than <see cref="MaxLength"/>, or <paramref name="iso"/> than <see cref="IsoLength"/>.</exception>
    public static int Next(SeededRandom random, Span<char> human, Span<char> iso)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (human.Length < MaxLength)
            throw new ArgumentException($"Expected room for {MaxLength} characters, but the span holds {human.Length}.", nameof(human));
        if (iso.Length < IsoLength)
            throw new ArgumentException($"Expected room for {IsoLength} characters, but the span holds {iso.Length}.", nameof(iso));
        DateOnly date = NextDate(random);
        int format = NextFormat(random);
        WriteIso(date, iso);
        return Format(date, format, human);
    }

    /// <summary>A date uniform between <see cref="MinDate"/> and <see cref="MaxDate"/> (one draw of <paramref name="random"/>, occasionally more).</summary>
    public static DateOnly NextDate(SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int days = MaxDate.DayNumber - MinDate.DayNumber + 1;
        return DateOnly.FromDayNumber(MinDate.DayNumber + NextInt(random, days));
    }

    /// <summary>A format number uniform in [0, <see cref="FormatCount"/>).</summary>
    public static int NextFormat(SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return NextInt(random, Patterns.Length);
    }

    /// <summary><paramref name="date"/> in <paramref name="format"/>, e.g. "tuesday 9 march 1993".</summary>
    /// <exception cref="ArgumentOutOfRangeException">The date is outside <see cref="MinDate"/>…<see cref="MaxDate"/> (two-digit years would be ambiguous), or the format does not exist.</exception>
    public static string Format(DateOnly date, int format)
    {
        Span<char> buffer = stackalloc char[MaxLength];
        return new string(buffer[..Format(date, format, buffer)]);
    }

    /// <summary>Writes <paramref name="date"/> in <paramref name="format"/> into <paramref name="destination"/>; returns the characters written (at most <see cref="MaxLength"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The date is outside <see cref="MinDate"/>…<see cref="MaxDate"/>, or the format does not exist.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short for this date in this format.</exception>
    public static int Format(DateOnly date, int format, Span<char> destination)
    {
        CheckDate(date);
        CheckFormat(format);
        var writer = new Writer(destination);
        ReadOnlySpan<char> pattern = Patterns[format];
        while (!pattern.IsEmpty)
        {
            int open = pattern.IndexOf('{');
            if (open < 0)
            {
                writer.Append(pattern);
                break;
            }
            writer.Append(pattern[..open]);
            int close = pattern[open..].IndexOf('}') + open;
            WriteField(ref writer, pattern[(open + 1)..close], date);
            pattern = pattern[(close + 1)..];
        }
        return writer.Length;
    }

    /// <summary><paramref name="date"/> as <c>yyyy-MM-dd</c>.</summary>
    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Writes <paramref name="date"/> as <c>yyyy-MM-dd</c> into the first <see cref="IsoLength"/> characters of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="IsoLength"/>.</exception>
    public static void WriteIso(DateOnly date, Span<char> destination)
    {
        CheckDate(date);
        if (!date.TryFormat(destination, out _, "yyyy-MM-dd", CultureInfo.InvariantCulture))
            throw new ArgumentException($"Expected room for {IsoLength} characters, but the span holds {destination.Length}.", nameof(destination));
    }

    private static void WriteField(ref Writer writer, ReadOnlySpan<char> field, DateOnly date)
    {
        switch (field)
        {
            case "d": writer.AppendNumber(date.Day, digits: 1); break;
            case "dd": writer.AppendNumber(date.Day, digits: 2); break;
            case "dth": writer.AppendNumber(date.Day, digits: 1); writer.Append(OrdinalSuffix(date.Day)); break;
            case "ddd": writer.Append(WeekdayAbbreviations[(int)date.DayOfWeek]); break;
            case "dddd": writer.Append(WeekdayNames[(int)date.DayOfWeek]); break;
            case "M": writer.AppendNumber(date.Month, digits: 1); break;
            case "MM": writer.AppendNumber(date.Month, digits: 2); break;
            case "MMM": writer.Append(MonthAbbreviations[date.Month - 1]); break;
            case "MMMM": writer.Append(MonthNames[date.Month - 1]); break;
            case "yy": writer.AppendNumber(date.Year % 100, digits: 2); break;
            case "yyyy": writer.AppendNumber(date.Year, digits: 4); break;
            default: throw new InvalidOperationException($"Unknown date field {{{field}}}.");
        }
    }

    /// <summary>"st", "nd", "rd" or "th": 1st, 2nd, 3rd, 4th…, 11th, 12th, 13th…, 21st, 22nd, 23rd…, 31st.</summary>
    private static string OrdinalSuffix(int day) => (day % 10, day / 10 % 10) switch
    {
        (_, 1) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };

    /// <summary>
    /// An integer uniform in [0, <paramref name="count"/>), exactly (Lemire's multiply-and-reject: the
    /// high half of a 64-bit product, redrawn in the rare cases that would bias it).
    /// </summary>
    private static int NextInt(SeededRandom random, int count)
    {
        ulong product = (ulong)random.NextUInt32() * (uint)count;
        if ((uint)product < (uint)count)
        {
            uint threshold = (uint)-count % (uint)count; // 2³² mod count
            while ((uint)product < threshold) product = (ulong)random.NextUInt32() * (uint)count;
        }
        return (int)(product >> 32);
    }

    private static void CheckDate(DateOnly date)
    {
        if (date < MinDate || date > MaxDate)
            throw new ArgumentOutOfRangeException(nameof(date), date, $"Dates are between {Iso(MinDate)} and {Iso(MaxDate)}.");
    }

    private static void CheckFormat(int format)
    {
        if ((uint)format >= (uint)Patterns.Length)
            throw new ArgumentOutOfRangeException(nameof(format), format, $"Formats are numbered 0 to {Patterns.Length - 1}.");
    }

    /// <summary>Appends to a span, failing with <see cref="ArgumentException"/> instead of overrunning it.</summary>
    private ref struct Writer(Span<char> destination)
    {
        private readonly Span<char> _destination = destination;

        public int Length { get; private set; }

        public void Append(ReadOnlySpan<char> text)
        {
            if (!text.TryCopyTo(_destination[Length..])) throw TooShort();
            Length += text.Length;
        }

        /// <summary>Appends a non-negative number with at least <paramref name="digits"/> digits (zero-padded).</summary>
        public void AppendNumber(int value, int digits)
        {
            if (!value.TryFormat(_destination[Length..], out int written, digits == 1 ? "D" : digits == 2 ? "D2" : "D4", CultureInfo.InvariantCulture))
                throw TooShort();
            Length += written;
        }

        private readonly ArgumentException TooShort() =>
            new($"The span of {_destination.Length} characters is too short for this date; {MaxLength} always suffice.", "destination");
    }
}
