package dev.omniscribe.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.udfs.text.ChineseConversion;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordTypesTest {

    @ParameterizedTest
    @ValueSource(
            classes = {
                AudioFile.class,
                SegmentRecord.class,
                TranscribedSegment.class,
                TranscriptSegment.class,
                FileTranscript.class
            })
    void everyRecordIsAFlinkPojoWithoutGenericFallback(Class<?> type) {
        TypeInformation<?> info = TypeInformation.of(type);
        assertThat(info).isInstanceOf(PojoTypeInfo.class);

        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        // Throws if any field falls back to Kryo.
        assertThat(info.createSerializer(config)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void fileTranscriptsSurviveSerialization(boolean failed) throws Exception {
        FileTranscript t =
                new FileTranscript(
                        "file:/in/a.mp3",
                        "a.mp3",
                        10,
                        60_000,
                        failed ? null : "tiny",
                        7,
                        failed
                                ? new TranscriptSegment[0]
                                : new TranscriptSegment[] {
                                    TestSegments.whole(0, 0, 30_000, "one"),
                                    TestSegments.whole(1, 30_000, 60_000, "two")
                                },
                        failed ? "decode" : null,
                        failed ? "bad" : null,
                        new FileOptions(
                                SegmentationSettings.DEFAULT,
                                new GenerationOptions(64, 0.5, 1.2, 3, "system", null),
                                ChineseConversion.S2TW));
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<FileTranscript> s =
                TypeInformation.of(FileTranscript.class).createSerializer(config);
        DataOutputSerializer out = new DataOutputSerializer(256);
        s.serialize(t, out);
        FileTranscript back = s.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        assertThat(back).usingRecursiveComparison().isEqualTo(t);
    }
}
