package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.submitter.upload.FileNames;
import org.junit.jupiter.api.Test;

class FileNamesTest {

    @Test
    void keepsOnlyTheLastPathElementWhateverTheSeparator() {
        assertThat(FileNames.sanitize("../../etc/passwd")).isEqualTo("passwd");
        assertThat(FileNames.sanitize("..\\..\\boot.ini")).isEqualTo("boot.ini");
        assertThat(FileNames.sanitize("/abs/path/talk.mp3")).isEqualTo("talk.mp3");
    }

    @Test
    void neverReturnsHiddenEmptyOrDotNames() {
        assertThat(FileNames.sanitize("..")).isEqualTo("audio");
        assertThat(FileNames.sanitize(".")).isEqualTo("audio");
        assertThat(FileNames.sanitize("")).isEqualTo("audio");
        assertThat(FileNames.sanitize(null)).isEqualTo("audio");
        assertThat(FileNames.sanitize(".bashrc")).isEqualTo("bashrc");
        assertThat(FileNames.sanitize("_failures.jsonl")).isEqualTo("failures.jsonl");
        assertThat(FileNames.sanitize("-rf.wav")).isEqualTo("rf.wav");
    }

    @Test
    void replacesControlAndShellCharactersButKeepsLettersOfAnyScript() {
        assertThat(FileNames.sanitize("a\u0000b\nc;rm -rf $(x).wav"))
                .isEqualTo("a_b_c_rm -rf _x_.wav");
        assertThat(FileNames.sanitize("會議記錄 2024.m4a")).isEqualTo("會議記錄 2024.m4a");
    }

    @Test
    void neutralizesTemporaryNamesTheJobWouldSkip() {
        assertThat(FileNames.sanitize("upload.tmp")).isEqualTo("upload_tmp");
    }

    @Test
    void capsTheLengthKeepingTheExtension() {
        String name = FileNames.sanitize("x".repeat(500) + ".flac");
        assertThat(name).hasSize(FileNames.MAX_LENGTH).endsWith(".flac");
    }
}
