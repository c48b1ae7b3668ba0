namespace TriggerWord;

/// <summary>
/// Turns a stream of per-step probabilities into detections: the trigger fires at a step whose probability reaches the
/// threshold, unless it fired less than the refractory period before (one word gives one detection, not one per
/// labelled step).
/// </summary>
internal sealed class Detector(float threshold, int refractorySteps)
{
    private int _last = int.MinValue / 2;

    public void Reset() => _last = int.MinValue / 2;

    /// <summary>Whether the trigger fires at <paramref name="step"/>.</summary>
    public bool Fires(int step, float probability)
    {
        if (probability < threshold || step - _last < refractorySteps) return false;
        _last = step;
        return true;
    }
}

/// <summary>Precision, recall and F1 of detections against the true triggers.</summary>
internal static class Scoring
{
    /// <summary>A detection is correct when it comes at most 0.1 s before and 0.6 s after a true trigger's end (each trigger counts once).</summary>
    public const double Before = 0.1, After = 0.6;

    /// <summary>Matches the detections (samples, time order) to the true ends (samples, time order); returns correct detections, false alarms and missed triggers.</summary>
    public static (int Hits, int FalseAlarms, int Misses) Match(List<int> ends, List<int> detections, int sampleRate)
    {
        int hits = 0, next = 0;
        foreach (int detection in detections)
        {
            while (next < ends.Count && detection > ends[next] + After * sampleRate) next++;   // triggers too long ago stay missed
            if (next < ends.Count && detection >= ends[next] - Before * sampleRate)
            {
                hits++;
                next++;
            }
        }
        return (hits, detections.Count - hits, ends.Count - hits);
    }

    public static (double Precision, double Recall, double F1) Rates(int hits, int falseAlarms, int misses)
    {
        double precision = hits + falseAlarms == 0 ? 0 : hits / (double)(hits + falseAlarms);
        double recall = hits + misses == 0 ? 0 : hits / (double)(hits + misses);
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
    }
}
