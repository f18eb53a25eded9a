package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.AudioFile;
import dev.omniscribe.udfs.DecodeAudioFunction;
import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.MicroBatchOperator;
import dev.omniscribe.udfs.OrderedMergeFunction;
import dev.omniscribe.udfs.PostProcessFunction;
import dev.omniscribe.udfs.SegmentRecord;
import dev.omniscribe.udfs.TranscribeFunction;
import dev.omniscribe.udfs.TranscribedSegment;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The transcription job graph:
 *
 * <pre>
 * files → [skip completed] → decode + segment → (rebalance) → transcribe (micro-batches)
 *       → (keyBy file) → ordered merge → post-process → transcripts sink
 *                                                     → failures sink (parallelism 1)
 *                                                     → progress sink (parallelism 1)
 * </pre>
 *
 * Sources and sinks are arguments, so tests and other entry points (the HTTP service) wire their
 * own.
 */
public final class TranscribeJob {

    private TranscribeJob() {}

    /**
     * Adds the job to {@code env}.
     *
     * @param source the audio files
     * @param transcripts receives every file's transcript (failed ones included; writers skip them)
     * @param failures receives failed files only; runs with parallelism 1
     * @param progress receives one outcome per file; runs with parallelism 1; may be null
     * @return the post-processed transcripts, for further wiring
     */
    public static DataStream<FileTranscript> build(
            StreamExecutionEnvironment env,
            Source<AudioFile, ?, ?> source,
            Sink<FileTranscript> transcripts,
            Sink<FileTranscript> failures,
            Sink<FileOutcome> progress,
            JobSettings settings) {
        return build(
                env,
                source,
                transcripts,
                failures,
                progress,
                settings,
                new TranscribeFunction(settings.engine()));
    }

    /** Like {@link #build} with the given transcribe function (tests inject engine faults). */
    static DataStream<FileTranscript> build(
            StreamExecutionEnvironment env,
            Source<AudioFile, ?, ?> source,
            Sink<FileTranscript> transcripts,
            Sink<FileTranscript> failures,
            Sink<FileOutcome> progress,
            JobSettings settings,
            TranscribeFunction transcribe) {
        DataStream<AudioFile> files =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "audio-files")
                        .uid("audio-files")
                        .setParallelism(settings.decodeParallelism());
        if (settings.skipCompleted() != null) {
            files =
                    files.filter(new SkipCompletedFilter(settings.skipCompleted()))
                            .uid("skip-completed")
                            .name("skip-completed")
                            .setParallelism(settings.decodeParallelism());
        }

        DataStream<SegmentRecord> segments =
                files.process(
                                new DecodeAudioFunction(
                                        settings.fileOptions(),
                                        settings.ffmpegDir(),
                                        settings.storage()),
                                TypeInformation.of(SegmentRecord.class))
                        .uid("decode")
                        .name("decode-and-segment")
                        .setParallelism(settings.decodeParallelism());

        DataStream<TranscribedSegment> transcribed =
                segments.rebalance()
                        .transform(
                                "transcribe",
                                TypeInformation.of(TranscribedSegment.class),
                                new MicroBatchOperator<>(
                                        transcribe,
                                        settings.batching().size(),
                                        settings.batching().waitMs(),
                                        settings.batching().lookahead(),
                                        SegmentRecord::sampleCount))
                        .uid("transcribe")
                        .name("transcribe")
                        .setParallelism(settings.parallelism());

        DataStream<FileTranscript> merged =
                transcribed
                        .keyBy(TranscribedSegment::fileId, Types.STRING)
                        .process(
                                new OrderedMergeFunction(),
                                TypeInformation.of(FileTranscript.class))
                        .uid("merge")
                        .name("ordered-merge")
                        .setParallelism(settings.parallelism())
                        .map(new PostProcessFunction())
                        .returns(FileTranscript.class)
                        .uid("post-process")
                        .name("post-process")
                        .setParallelism(settings.parallelism());

        merged.sinkTo(transcripts)
                .uid("write-transcripts")
                .name("write-transcripts")
                .setParallelism(settings.parallelism());

        merged.filter(FileTranscript::failed)
                .uid("failed-files")
                .name("failed-files")
                .setParallelism(settings.parallelism())
                .sinkTo(failures)
                .uid("write-failures")
                .name("write-failures")
                .setParallelism(1);

        if (progress != null) {
            merged.map(FileOutcome::of)
                    .returns(FileOutcome.class)
                    .uid("outcomes")
                    .name("outcomes")
                    .setParallelism(settings.parallelism())
                    .sinkTo(progress)
                    .uid("progress")
                    .name("progress")
                    .setParallelism(1);
        }
        return merged;
    }
}
