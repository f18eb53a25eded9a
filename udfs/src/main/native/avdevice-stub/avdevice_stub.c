/*
 * A stand-in for FFmpeg's libavdevice.so.61, loaded by the bundled ffmpeg and ffprobe in place of
 * the one in org.bytedeco:ffmpeg.
 *
 * libavdevice holds capture and playback devices (ALSA, PulseAudio, X11 screen grabs), and the
 * real library links against libasound, libpulse, libxcb and libxcb-shm, which a server often
 * lacks. The job only ever reads files and pipes, so the executables need from libavdevice just
 * the symbols they import at start-up. This library defines exactly those, registers no device,
 * and needs no other library (built with -nostdlib). ffmpeg then behaves as if it had been built
 * with --disable-avdevice: every file format and codec is unchanged; "-f alsa" and the like are
 * unknown formats.
 *
 * Build: build.sh (gcc). The result is committed under udfs/src/main/resources.
 */

#define AVERROR_ENOSYS (-38)

/* The version the executables were built against: 61.3.100 (FFmpeg 7.1). */
unsigned avdevice_version(void) { return (61u << 16) | (3u << 8) | 100u; }

const char *avdevice_configuration(void) { return "omniscribe avdevice stand-in: no devices"; }

const char *avdevice_license(void) { return "LGPL version 3 or later"; }

/* Registers nothing: no device formats are known. */
void avdevice_register_all(void) {}

/* Device iterators: there is no device, so every walk ends at once. */
const void *av_input_audio_device_next(const void *d) { (void)d; return 0; }
const void *av_input_video_device_next(const void *d) { (void)d; return 0; }
const void *av_output_audio_device_next(const void *d) { (void)d; return 0; }
const void *av_output_video_device_next(const void *d) { (void)d; return 0; }

/* Device listing ("ffmpeg -sources"): not supported. */
int avdevice_list_input_sources(const void *device, const char *name, void *options, void **list)
{
    (void)device; (void)name; (void)options;
    if (list) *list = 0;
    return AVERROR_ENOSYS;
}

int avdevice_list_output_sinks(const void *device, const char *name, void *options, void **list)
{
    (void)device; (void)name; (void)options;
    if (list) *list = 0;
    return AVERROR_ENOSYS;
}

void avdevice_free_list_devices(void **list)
{
    if (list) *list = 0;
}
