package dev.omniscribe.udfs;

import org.apache.flink.metrics.MetricGroup;

/**
 * The job's own Flink metrics: one group, {@value #GROUP}, below each operator's scope, and one
 * name per quantity (snake case, so that reporters print them as they are). Flink's Prometheus
 * reporter exports {@code <name>} as {@code flink_taskmanager_job_task_operator_omniscribe_<name>},
 * counters and gauges as gauges, histograms as summaries (quantiles, count).
 *
 * <table>
 *   <caption>Metrics</caption>
 *   <tr><th>name</th><th>kind</th><th>operator</th><th>what</th></tr>
 *   <tr><td>{@value #FILES_SKIPPED}</td><td>counter</td><td>skip-completed</td><td>inputs whose
 *       outputs were already there</td></tr>
 *   <tr><td>{@value #FILES_DECODED}</td><td>counter</td><td>decode</td><td>files decoded
 *       whole</td></tr>
 *   <tr><td>{@value #DECODE_FAILURES}</td><td>counter</td><td>decode</td><td>files that could not
 *       be decoded</td></tr>
 *   <tr><td>{@value #SEGMENTS_CUT}</td><td>counter</td><td>decode</td><td>segments cut</td></tr>
 *   <tr><td>{@value #AUDIO_SECONDS_DECODED}</td><td>gauge</td><td>decode</td><td>seconds of audio
 *       decoded (speech or not)</td></tr>
 *   <tr><td>{@value #SEGMENTS_TRANSCRIBED}</td><td>counter</td><td>transcribe</td><td>segments the
 *       engine transcribed</td></tr>
 *   <tr><td>{@value #TRANSCRIBE_FAILURES}</td><td>counter</td><td>transcribe</td><td>segments the
 *       engine failed on</td></tr>
 *   <tr><td>{@value #TOKENS_GENERATED}</td><td>counter</td><td>transcribe</td><td>tokens the engine
 *       generated</td></tr>
 *   <tr><td>{@value #AUDIO_SECONDS_TRANSCRIBED}</td><td>gauge</td><td>transcribe</td><td>seconds of
 *       audio transcribed</td></tr>
 *   <tr><td>{@value #BATCHES}</td><td>counter</td><td>transcribe</td><td>engine batches</td></tr>
 *   <tr><td>{@value #BATCH_SIZE}</td><td>histogram</td><td>transcribe</td><td>segments per engine
 *       batch</td></tr>
 *   <tr><td>{@value #SEGMENT_LATENCY_SECONDS}</td><td>histogram</td><td>transcribe</td><td>engine time
 *       of the batch that carried each segment, seconds</td></tr>
 *   <tr><td>{@value #TOKENS_PER_SEGMENT}</td><td>histogram</td><td>transcribe</td><td>tokens
 *       generated per segment</td></tr>
 *   <tr><td>{@value #SEGMENTS_MAX_TOKENS}</td><td>counter</td><td>transcribe</td><td>segments cut
 *       at their token budget</td></tr>
 *   <tr><td>{@value #SEGMENTS_REPETITION}</td><td>counter</td><td>transcribe</td><td>segments cut
 *       at a repetition loop</td></tr>
 *   <tr><td>{@value #SEGMENT_RETRIES}</td><td>counter</td><td>transcribe</td><td>cut segments
 *       generated again at a higher temperature</td></tr>
 *   <tr><td>{@value #SEGMENT_RETRIES_RECOVERED}</td><td>counter</td><td>transcribe</td><td>retries
 *       that ended by themselves (their text kept)</td></tr>
 *   <tr><td>{@value #LANGUAGE_DETECTIONS}</td><td>counter</td><td>transcribe</td><td>files whose
 *       language the model was asked</td></tr>
 *   <tr><td>{@value #LANGUAGES_UNKNOWN}</td><td>counter</td><td>transcribe</td><td>answers that were
 *       no language code</td></tr>
 *   <tr><td>{@value #FILES_DONE}</td><td>counter</td><td>ordered-merge</td><td>files
 *       transcribed</td></tr>
 *   <tr><td>{@value #FILES_FAILED}</td><td>counter</td><td>ordered-merge</td><td>files that
 *       failed</td></tr>
 *   <tr><td>{@value #TRANSCRIPTS_WRITTEN}</td><td>counter</td><td>write-transcripts</td><td>files
 *       whose outputs were written</td></tr>
 * </table>
 */
public final class JobMetrics {

    /** The group every metric of the job is registered in. */
    public static final String GROUP = "omniscribe";

    public static final String FILES_SKIPPED = "files_skipped";
    public static final String FILES_DECODED = "files_decoded";
    public static final String DECODE_FAILURES = "decode_failures";
    public static final String SEGMENTS_CUT = "segments_cut";
    public static final String AUDIO_SECONDS_DECODED = "audio_seconds_decoded";
    public static final String SEGMENTS_TRANSCRIBED = "segments_transcribed";
    public static final String TRANSCRIBE_FAILURES = "transcribe_failures";
    public static final String TOKENS_GENERATED = "tokens_generated";
    public static final String AUDIO_SECONDS_TRANSCRIBED = "audio_seconds_transcribed";
    public static final String BATCHES = "batches";
    public static final String BATCH_SIZE = "batch_size";
    public static final String SEGMENT_LATENCY_SECONDS = "segment_latency_seconds";
    public static final String TOKENS_PER_SEGMENT = "tokens_per_segment";
    public static final String SEGMENTS_MAX_TOKENS = "segments_max_tokens";
    public static final String SEGMENTS_REPETITION = "segments_repetition";
    public static final String SEGMENT_RETRIES = "segment_retries";
    public static final String SEGMENT_RETRIES_RECOVERED = "segment_retries_recovered";
    public static final String LANGUAGE_DETECTIONS = "language_detections";
    public static final String LANGUAGES_UNKNOWN = "languages_unknown";
    public static final String FILES_DONE = "files_done";
    public static final String FILES_FAILED = "files_failed";
    public static final String TRANSCRIPTS_WRITTEN = "transcripts_written";

    /** Samples each histogram keeps (a sliding window; quantiles are over these). */
    public static final int HISTOGRAM_WINDOW = 1_000;

    private JobMetrics() {}

    /** The job's group below {@code operatorGroup}. */
    public static MetricGroup group(MetricGroup operatorGroup) {
        return operatorGroup.addGroup(GROUP);
    }
}
