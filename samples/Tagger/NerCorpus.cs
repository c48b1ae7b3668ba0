namespace Tagger;

/// <summary>
/// A seeded generator of English sentences tagged for named entities in the BIO scheme of CoNLL-2003 (persons,
/// locations, organisations and miscellaneous names: nationalities, events, prizes), written because no annotated
/// corpus is among the packages reachable here. Templates with slots are filled from name lists; names span one to
/// four tokens ("Rio de Janeiro", "Bank of Japan", "Dr. Mensah" with the title outside the name).
/// </summary>
/// <remarks>
/// Every list comes in two parts, one for training and one held out, so that the held-out sentences test what a tagger
/// has learned rather than what it has memorised: they are filled only with held-out names, half of them from templates
/// that training never sees. A few words are names of two types and appear in both parts ("Jordan", "Georgia",
/// "Washington" and "Paris" are persons and places, "Amazon" a company and a river), so that only the context tells.
/// The unlabelled text the word vectors are pretrained on comes from a third set of templates and the training ones,
/// filled with the names of both parts alike, as a large corpus mentions names that no labelled sentence has; a few of
/// its sentences have no names and give most of the held-out templates' other words a vector, as a large corpus would.
/// The held-out templates themselves are never in it.
/// </remarks>
internal sealed class NerCorpus
{
    /// <summary>The tags, in id order: O, then B- and I- of each entity type.</summary>
    public static readonly string[] Tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"];

    /// <summary>The entity types, "O" first: the classes of the token-level scores.</summary>
    public static readonly string[] Types = ["O", "PER", "LOC", "ORG", "MISC"];

    /// <summary>The entity type of a tag id (0 for O).</summary>
    public static int TypeOf(int tag) => (tag + 1) / 2;

    // Names: [training part, held-out part], then the ambiguous ones that both parts use.
    private static readonly string[][] FirstNames =
    [
        ["Anna", "Maria", "John", "Peter", "Laura", "Daniel", "Sofia", "Michael", "Elena", "David", "Sarah", "Thomas", "Julia",
            "Marco", "Yuki", "Ahmed", "Olga", "Carlos", "Emma", "Lucas", "Fatima", "Ivan", "Chloe", "Omar"],
        ["Ingrid", "Kwame", "Beatriz", "Tomasz", "Aiko", "Rafael", "Nadia", "Henrik", "Leila", "Mateo"],
    ];
    private static readonly string[][] LastNames =
    [
        ["Smith", "Kowalski", "Garcia", "Chen", "Muller", "Rossi", "Novak", "Silva", "Tanaka", "Johnson", "Petrov", "Dubois",
            "Nguyen", "Hansen", "Okafor", "Fischer", "Lopez", "Brown", "Kim", "Schmidt"],
        ["Lindqvist", "Mensah", "Castellanos", "Wojcik", "Takahashi", "Moreau", "Haddad", "Pereira"],
    ];
    private static readonly string[][] Places =
    [
        ["London", "Berlin", "Madrid", "Tokyo", "Cairo", "Lima", "Oslo", "Warsaw", "Nairobi", "Toronto", "Mumbai", "New York",
            "Buenos Aires", "Cape Town", "Hong Kong", "San Francisco", "Sri Lanka", "Costa Rica", "Rio de Janeiro", "Kenya",
            "Brazil", "Canada", "Japan", "Egypt", "Peru", "Norway", "Poland"],
        ["Lisbon", "Hanoi", "Quito", "Accra", "Helsinki", "Tbilisi", "Santiago", "Kuala Lumpur", "New Delhi", "Addis Ababa",
            "Ghana", "Chile", "Finland", "Vietnam", "Sao Paulo"],
    ];
    private static readonly string[][] Organisations =
    [
        ["Acme Corporation", "United Nations", "Red Cross", "World Bank", "Google", "Siemens", "Toyota", "Reuters", "BBC",
            "Oxford University", "Bank of Canada", "European Union", "Greenpeace", "Nokia", "NASA", "Harvard University", "Microsoft"],
        ["Unilever", "Interpol", "Samsung", "Oxfam", "Stanford University", "Bank of Japan", "African Union", "Volvo", "UNESCO",
            "Deutsche Bahn"],
    ];
    private static readonly string[][] Miscellaneous =
    [
        ["French", "German", "Japanese", "English", "Spanish", "Olympic Games", "World Cup", "Nobel Prize", "Christmas",
            "Ramadan", "Tour de France", "Brazilian", "Canadian", "Polish", "Grammy Award"],
        ["Finnish", "Vietnamese", "Chilean", "Ghanaian", "Oscar", "Booker Prize", "Eurovision", "Diwali", "Champions League"],
    ];
    private static readonly string[] AmbiguousPersons = ["Jordan", "Georgia", "Paris"], AmbiguousLastNames = ["Washington"];
    private static readonly string[] AmbiguousPlaces = ["Jordan", "Georgia", "Paris", "Washington"], AmbiguousOrganisations = ["Amazon"];

    private static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    private static readonly string[] Numbers = ["two", "three", "five", "ten", "12", "40", "300", "many"];
    private static readonly string[] Titles = ["Mr.", "Ms.", "Dr.", "President", "Professor"];

    // Templates: {PER}, {LOC}, {ORG} and {MISC} are names; {DAY} and {NUM} are filler words outside any name.
    private static readonly string[] TrainingTemplates =
    [
        "{PER} flew to {LOC} on {DAY} .",
        "{PER} works for {ORG} in {LOC} .",
        "On {DAY} , {PER} met {PER} in {LOC} .",
        "{ORG} opened an office in {LOC} last year .",
        "The {MISC} delegation arrived in {LOC} .",
        "{PER} won the {MISC} for her work on water .",
        "{PER} said {ORG} would hire {NUM} engineers .",
        "Shares of {ORG} fell after {PER} resigned .",
        "{LOC} will host the {MISC} next summer .",
        "A spokesman for {ORG} declined to comment .",
        "{PER} , a {MISC} writer , lives in {LOC} .",
        "Heavy rain hit {LOC} on {DAY} .",
        "{PER} joined {ORG} after leaving {ORG} .",
        "The talks between {LOC} and {LOC} ended without a deal .",
        "{ORG} and {ORG} signed a contract in {LOC} .",
        "Police in {LOC} arrested {NUM} people on {DAY} .",
        "{PER} told reporters in {LOC} that prices would rise .",
        "The river Amazon floods every spring .",
        "Amazon sold {NUM} million phones last year .",
        "Tickets for the {MISC} sold out in {LOC} .",
        "{PER} moved from {LOC} to {LOC} in the spring .",
        "According to {ORG} , exports from {LOC} grew .",
        "We celebrated {MISC} with {PER} and {PER} .",
        "She bought an apple and a newspaper .",
    ];
    private static readonly string[] HeldOutTemplates =
    [
        "Yesterday {PER} visited {LOC} with a team from {ORG} .",
        "{ORG} fined {PER} for breaking the rules .",
        "Many {MISC} fans travelled to {LOC} .",
        "The mayor of {LOC} thanked {ORG} for its help .",
        "{PER} and {PER} will meet in {LOC} on {DAY} .",
        "Engineers at {ORG} in {LOC} built a new train .",
        "{PER} received the {MISC} in {LOC} .",
        "Flights from {LOC} to {LOC} were cancelled on {DAY} .",
    ];
    private static readonly string[] UnlabelledTemplates =
    [
        "{PER} was born in {LOC} .",
        "{PER} is the chief executive of {ORG} .",
        "{LOC} is a country with {NUM} million people .",
        "The capital city {LOC} has a busy port .",
        "{ORG} reported higher profits on {DAY} .",
        "{ORG} is a company with offices in {LOC} .",
        "The {MISC} festival is popular in {LOC} .",
        "{PER} won the {MISC} twice .",
        "{PER} married {PER} in {LOC} .",
        "Travellers in {LOC} can visit {LOC} by train .",
        "{PER} studied at {ORG} .",
        "{PER} speaks {MISC} and {MISC} .",
        "The {MISC} championship was held in {LOC} .",
        "The weather in {LOC} was cold on {DAY} .",
        "{ORG} employs {NUM} thousand people .",
        "Yesterday the team visited a new museum with the mayor .",
        "Many fans travelled by train to see the match .",
        "Flights were cancelled and the engineers built a bridge .",
        "The police fined {NUM} drivers for breaking the rules .",
        "The city thanked its people for their help .",
        "They will meet at the station and receive a prize .",
    ];

    private readonly Random _random;
    private readonly int _part;

    /// <summary>A generator of the training part (<paramref name="heldOut"/> false) or of the held-out part.</summary>
    public NerCorpus(int seed, bool heldOut)
    {
        _random = new Random(seed);
        _part = heldOut ? 1 : 0;
    }

    /// <summary>A labelled sentence: training templates for the training part, half held-out ones for the held-out part.</summary>
    public (string[] Words, int[] Tags) Next()
    {
        string template = _part == 0 || _random.Next(2) == 0 ? Pick(TrainingTemplates) : Pick(HeldOutTemplates);
        return Fill(template, _part);
    }

    /// <summary>
    /// A sentence of the unlabelled text: from the unlabelled or the training templates (half and half), with names from
    /// either part, so that the vectors of held-out names come from the same contexts as those of training names.
    /// </summary>
    public string[] NextUnlabelled() =>
        Fill(_random.Next(2) == 0 ? Pick(UnlabelledTemplates) : Pick(TrainingTemplates), part: -1).Words;

    // The template filled with names of the part (-1: of both parts).
    private (string[] Words, int[] Tags) Fill(string template, int part)
    {
        var words = new List<string>();
        var tags = new List<int>();
        foreach (string token in template.Split(' '))
        {
            switch (token)
            {
                case "{PER}": Add(Person(part), 1); break;
                case "{LOC}": Add(Pick(Names(Places, part), AmbiguousPlaces), 3); break;
                case "{ORG}": Add(Pick(Names(Organisations, part), AmbiguousOrganisations), 5); break;
                case "{MISC}": Add(Pick(Names(Miscellaneous, part)), 7); break;
                case "{DAY}": Add(Pick(Days), 0); break;
                case "{NUM}": Add(Pick(Numbers), 0); break;
                case "Amazon": Add(token, 5); break;                       // the company: "Amazon sold …"
                default: Add(token, 0); break;
            }
        }
        // "The river Amazon" is a place.
        if (template.StartsWith("The river Amazon", StringComparison.Ordinal)) tags[2] = 3;
        return ([.. words], [.. tags]);

        void Add(string name, int begin)
        {
            bool inside = false;
            foreach (string part in name.Split(' '))
            {
                words.Add(part);
                if (begin == 0 || Array.IndexOf(Titles, part) >= 0)
                {
                    tags.Add(0);
                }
                else
                {
                    tags.Add(inside ? begin + 1 : begin);
                    inside = true;
                }
            }
        }
    }

    // A person: "First Last", "First" or "Title Last" (the title outside the name).
    private string Person(int part)
    {
        string first = Pick(Names(FirstNames, part), AmbiguousPersons), last = Pick(Names(LastNames, part), AmbiguousLastNames);
        return _random.Next(10) switch
        {
            < 6 => first + " " + last,
            < 8 => first,
            _ => Pick(Titles) + " " + last,
        };
    }

    // The part's names, or (-1) those of both parts: each name then as likely as any other.
    private static string[] Names(string[][] parts, int part) => part >= 0 ? parts[part] : [.. parts[0], .. parts[1]];

    private string Pick(string[] list) => list[_random.Next(list.Length)];

    // From the list, or one time in eight from the ambiguous names.
    private string Pick(string[] list, string[] ambiguous) => _random.Next(8) == 0 ? Pick(ambiguous) : Pick(list);
}
