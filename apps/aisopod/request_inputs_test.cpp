#include "request_inputs.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

namespace aisopod {
// Readable failure output for EXPECT_EQ on content parts.
static void PrintTo(const ContentPart& part, std::ostream* out) {
  *out << "{kind " << static_cast<int>(part.kind) << ", media_type \"" << part.media_type
       << "\", data \"" << part.data.substr(0, 40) << (part.data.size() > 40 ? "...\"" : "\"")
       << ", url \"" << part.url << "\"}";
}
}  // namespace aisopod

namespace aisopod::cli {
namespace {

using namespace std::string_literals;

// A fresh directory under the system temp dir, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "request_inputs_XXXXXX");
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

  // Writes `bytes` to `name` inside the directory and returns the file's path.
  std::string write(const std::string& name, const std::string& bytes) const {
    const std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return file;
  }

 private:
  std::string path_;
};

class RequestInputsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed"; }
  TempDir dir_;
};

// ---- load_attachment -----------------------------------------------------------------------

using RequestInputsAttachment = RequestInputsTest;

TEST_F(RequestInputsAttachment, MediaTypeFromMagicBytes) {
  struct Case {
    std::string bytes;
    std::string media_type;
  };
  const std::vector<Case> cases = {
      {"\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR"s, "image/png"},
      {"\xFF\xD8\xFF\xE0\0\x10JFIF\0"s, "image/jpeg"},
      {"GIF87a\x01\0\x01\0"s, "image/gif"},
      {"GIF89a\x01\0\x01\0"s, "image/gif"},
      {"RIFF\x24\0\0\0WEBPVP8 "s, "image/webp"},
      {"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"s, "application/pdf"},
      {"RIFF\x24\0\0\0WAVEfmt "s, "audio/wav"},
      {"ID3\x04\0\0\0\0\0\0"s, "audio/mpeg"},
      {"\xFF\xFB\x90\x64\0\0"s, "audio/mpeg"},  // MPEG-1 Layer III frame header
      {"\xFF\xF3\x40\xC4\0\0"s, "audio/mpeg"},  // MPEG-2 Layer III frame header
      {"OggS\0\x02\0\0\0\0"s, "audio/ogg"},
      {"fLaC\0\0\0\x22"s, "audio/flac"},
      {"\0\0\0\x20"
       "ftypisom\0\0\x02\0"s,
       "video/mp4"},
      {"\0\0\0\x14"
       "ftypqt  \0\0\x02\0"s,
       "video/quicktime"},
      {"\x1A\x45\xDF\xA3\x9F\x42\x86\x81"s, "video/webm"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    // An unknown extension, so only the content can decide.
    const std::string file = dir_.write("file" + std::to_string(i) + ".bin", cases[i].bytes);
    const Result<ContentPart> part = load_attachment(file);
    ASSERT_TRUE(part.ok()) << cases[i].media_type << ": " << part.status().to_string();
    EXPECT_EQ(part->kind, ContentPart::Kind::kMedia);
    EXPECT_EQ(part->media_type, cases[i].media_type) << "case " << i;
    EXPECT_TRUE(part->url.empty());
  }
}

TEST_F(RequestInputsAttachment, PngSignatureEncodesExactly) {
  const std::string file = dir_.write("x.png", "\x89PNG\r\n\x1A\n"s);
  const Result<ContentPart> part = load_attachment(file);
  ASSERT_TRUE(part.ok()) << part.status().to_string();
  EXPECT_EQ(*part, ContentPart::make_media_data("image/png", "iVBORw0KGgo="));
}

TEST_F(RequestInputsAttachment, ContentWinsOverExtension) {
  const std::string file = dir_.write("really_a_jpeg.png", "\xFF\xD8\xFF\xDB\0\x43"s);
  const Result<ContentPart> part = load_attachment(file);
  ASSERT_TRUE(part.ok()) << part.status().to_string();
  EXPECT_EQ(part->media_type, "image/jpeg");
}

TEST_F(RequestInputsAttachment, ExtensionWhenContentIsUnknown) {
  struct Case {
    std::string name;
    std::string media_type;
  };
  const std::vector<Case> cases = {
      {"a.png", "image/png"},       {"a.JPG", "image/jpeg"},  {"a.jpeg", "image/jpeg"},
      {"a.gif", "image/gif"},       {"a.webp", "image/webp"}, {"a.Pdf", "application/pdf"},
      {"a.mp3", "audio/mpeg"},      {"a.wav", "audio/wav"},   {"a.ogg", "audio/ogg"},
      {"a.flac", "audio/flac"},     {"a.mp4", "video/mp4"},   {"a.webm", "video/webm"},
      {"a.mov", "video/quicktime"},
  };
  for (const Case& c : cases) {
    const Result<ContentPart> part = load_attachment(dir_.write(c.name, "Man"));
    ASSERT_TRUE(part.ok()) << c.name << ": " << part.status().to_string();
    EXPECT_EQ(*part, ContentPart::make_media_data(c.media_type, "TWFu")) << c.name;
  }
}

TEST_F(RequestInputsAttachment, Base64PadsOneAndTwoByteTails) {
  // RFC 4648 section 10 test vectors, plus bytes that use '+', '/' and the sign bit.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},   {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}, {"M", "TQ=="},     {"Ma", "TWE="},
      {"Man", "TWFu"},       {"\xFB\xFF"s, "+/8="},  {"\x80"s, "gA=="}, {"\0\0\0"s, "AAAA"},
  };
  for (const auto& [bytes, base64] : vectors) {
    const Result<ContentPart> part = load_attachment(dir_.write("v.pdf", bytes));
    ASSERT_TRUE(part.ok()) << base64 << ": " << part.status().to_string();
    EXPECT_EQ(part->data, base64);
  }
}

TEST_F(RequestInputsAttachment, AdtsAacIsNotMistakenForMp3) {
  const std::string file = dir_.write("sound.aac", "\xFF\xF1\x50\x80\x02\x1F\xFC"s);
  EXPECT_EQ(load_attachment(file).status(),
            Status(StatusCode::kInvalidArgument,
                   "cannot tell the media type of " + file +
                       ": neither its content nor its extension is a known image, audio, video "
                       "or PDF format (png, jpeg, gif, webp, pdf, mp3, wav, ogg, flac, mp4, "
                       "webm, mov)"));
}

TEST_F(RequestInputsAttachment, UnknownTypeIsAnError) {
  for (const std::string name : {"notes.txt", "README"}) {
    const std::string file = dir_.write(name, "hello");
    EXPECT_EQ(load_attachment(file).status(),
              Status(StatusCode::kInvalidArgument,
                     "cannot tell the media type of " + file +
                         ": neither its content nor its extension is a known image, audio, "
                         "video or PDF format (png, jpeg, gif, webp, pdf, mp3, wav, ogg, flac, "
                         "mp4, webm, mov)"));
  }
}

TEST_F(RequestInputsAttachment, UnreadableFilesNameThePathAndReason) {
  const std::string missing = dir_.path() + "/missing.png";
  EXPECT_EQ(load_attachment(missing).status(),
            Status(StatusCode::kInvalidArgument,
                   "cannot read attachment " + missing + ": No such file or directory"));
  EXPECT_EQ(load_attachment(dir_.path()).status(),
            Status(StatusCode::kInvalidArgument,
                   "cannot read attachment " + dir_.path() + ": Is a directory"));
  const std::string empty = dir_.write("empty.png", "");
  EXPECT_EQ(load_attachment(empty).status(),
            Status(StatusCode::kInvalidArgument, "attachment " + empty + " is empty"));
}

TEST_F(RequestInputsAttachment, TwentyMebibytesIsTheLimit) {
  ASSERT_EQ(kMaxAttachmentBytes, 20u * 1024 * 1024);
  const std::string at_limit = dir_.write("at_limit.png", "\x89PNG\r\n\x1A\n"s);
  std::filesystem::resize_file(at_limit, kMaxAttachmentBytes);
  const Result<ContentPart> part = load_attachment(at_limit);
  ASSERT_TRUE(part.ok()) << part.status().to_string();
  EXPECT_EQ(part->media_type, "image/png");
  EXPECT_EQ(part->data.size(), 27962028u);  // 4 * ceil(20971520 / 3)
  EXPECT_EQ(part->data.substr(0, 12), "iVBORw0KGgoA");
  EXPECT_EQ(part->data.substr(part->data.size() - 4), "AAA=");  // 20971520 % 3 == 2

  const std::string over = dir_.write("over.png", "\x89PNG\r\n\x1A\n"s);
  std::filesystem::resize_file(over, kMaxAttachmentBytes + 1);
  EXPECT_EQ(
      load_attachment(over).status(),
      Status(StatusCode::kInvalidArgument,
             "attachment " + over + " is 20971521 bytes; the limit is 20 MiB (20971520 bytes)"));
}

TEST_F(RequestInputsAttachment, EndlessStreamStopsAtTheLimit) {
  // A character device has no size up front: the read loop must enforce the limit.
  EXPECT_EQ(load_attachment("/dev/zero").status(),
            Status(StatusCode::kInvalidArgument,
                   "attachment /dev/zero is larger than the limit of 20 MiB (20971520 bytes)"));
}

TEST(RequestInputsAttachmentUrl, MediaTypeFromTheUrlPath) {
  struct Case {
    std::string url;
    std::string media_type;
  };
  const std::vector<Case> cases = {
      {"https://example.com/img/cat.PNG?size=large#top", "image/png"},
      {"http://example.com/photo.jpeg", "image/jpeg"},
      {"https://example.com/a.gif", "image/gif"},
      {"https://example.com/a.webp", "image/webp"},
      {"HTTPS://example.com/paper.pdf", "application/pdf"},
      {"https://example.com/song.mp3", "audio/mpeg"},
      {"gs://bucket/dir/clip.mov", "video/quicktime"},
      {"gs://bucket/talk.flac", "audio/flac"},
      {"https://example.com/v.webm", "video/webm"},
      {"https://example.com/v.mp4?t=1.png", "video/mp4"},
      {"https://example.com/page", "application/octet-stream"},
      {"https://example.com.png", "application/octet-stream"},
      {"https://example.com/dir.jpg/readme", "application/octet-stream"},
      {"https://example.com/archive.tar.gz", "application/octet-stream"},
  };
  for (const Case& c : cases) {
    const Result<ContentPart> part = load_attachment(c.url);
    ASSERT_TRUE(part.ok()) << c.url << ": " << part.status().to_string();
    EXPECT_EQ(*part, ContentPart::make_media_url(c.media_type, c.url)) << c.url;
  }
}

TEST(RequestInputsAttachmentUrl, DataUrlIsPassedUnchanged) {
  const std::string png = "data:image/png;base64,iVBORw0KGgo=";
  EXPECT_EQ(*load_attachment(png), ContentPart::make_media_url("image/png", png));
  const std::string upper = "DATA:Image/JPEG;base64,/9j/";
  EXPECT_EQ(*load_attachment(upper), ContentPart::make_media_url("image/jpeg", upper));
  const std::string plain = "data:,hello";
  EXPECT_EQ(*load_attachment(plain), ContentPart::make_media_url("text/plain", plain));
  EXPECT_EQ(load_attachment("data:image/png;base64").status(),
            Status(StatusCode::kInvalidArgument,
                   "-a/--attach: the data: URL has no ',' before its data"));
}

TEST(RequestInputsAttachmentUrl, OtherSchemesAreRefused) {
  EXPECT_EQ(load_attachment("ftp://host/cat.png").status(),
            Status(StatusCode::kInvalidArgument,
                   "-a/--attach: unsupported URL scheme 'ftp://' in ftp://host/cat.png; use "
                   "http://, https://, gs:// or data:, or a file path"));
}

// ---- load_tools ----------------------------------------------------------------------------

using RequestInputsTools = RequestInputsTest;

TEST_F(RequestInputsTools, OpenAIShape) {
  const std::string file = dir_.write("tools.json", R"([
    {
      "type": "function",
      "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
          "type": "object",
          "properties": {"city": {"type": "string"}, "days": {"type": "number", "minimum": 0.5}},
          "required": ["city"]
        },
        "strict": true
      }
    }
  ])");
  const Result<std::vector<Tool>> tools = load_tools(file);
  ASSERT_TRUE(tools.ok()) << tools.status().to_string();
  ASSERT_EQ(tools->size(), 1u);
  const Tool& tool = (*tools)[0];
  EXPECT_EQ(tool.name, "get_weather");
  EXPECT_EQ(tool.description, "Weather for a city");
  EXPECT_EQ(tool.parameters_schema,
            R"({"type":"object","properties":{"city":{"type":"string"},)"
            R"("days":{"type":"number","minimum":0.5}},"required":["city"]})");
  EXPECT_TRUE(tool.strict);
}

TEST_F(RequestInputsTools, FlatShapesInOrder) {
  const std::string file = dir_.write("tools.json", R"([
    {"name": "search", "description": "Search the web",
     "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}, "strict": false},
    {"name": "Read-File_2", "input_schema": {"type": "object", "properties": {}}},
    {"type": "function", "name": "now"}
  ])");
  const Result<std::vector<Tool>> tools = load_tools(file);
  ASSERT_TRUE(tools.ok()) << tools.status().to_string();
  ASSERT_EQ(tools->size(), 3u);
  EXPECT_EQ((*tools)[0].name, "search");
  EXPECT_EQ((*tools)[0].description, "Search the web");
  EXPECT_EQ((*tools)[0].parameters_schema,
            R"({"type":"object","properties":{"q":{"type":"string"}}})");
  EXPECT_FALSE((*tools)[0].strict);
  EXPECT_EQ((*tools)[1].name, "Read-File_2");
  EXPECT_EQ((*tools)[1].description, "");
  EXPECT_EQ((*tools)[1].parameters_schema, R"({"type":"object","properties":{}})");
  EXPECT_EQ((*tools)[2].name, "now");
  EXPECT_EQ((*tools)[2].parameters_schema, "");
  EXPECT_FALSE((*tools)[2].strict);
}

TEST_F(RequestInputsTools, EmptyArrayIsNoTools) {
  const Result<std::vector<Tool>> tools = load_tools(dir_.write("tools.json", " [ ] \n"));
  ASSERT_TRUE(tools.ok()) << tools.status().to_string();
  EXPECT_TRUE(tools->empty());
}

TEST_F(RequestInputsTools, NameRules) {
  const std::string longest(64, 'a');
  const Result<std::vector<Tool>> ok =
      load_tools(dir_.write("ok.json", R"([{"name": ")" + longest + R"("}])"));
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ((*ok)[0].name, longest);

  const std::string too_long = dir_.write("long.json", R"([{"name": "a)" + longest + R"("}])");
  EXPECT_EQ(load_tools(too_long).status().message(), "--tools " + too_long + ": tool 0: name \"a" +
                                                         longest +
                                                         "\" is 65 characters; the limit is 64");
  const std::string spaced =
      dir_.write("spaced.json", R"([{"name": "ok"}, {"name": "get weather"}])");
  EXPECT_EQ(load_tools(spaced).status().message(),
            "--tools " + spaced +
                ": tool 1: name \"get weather\" has characters outside A-Z, a-z, 0-9, _ and -");
  const std::string dotted = dir_.write("dotted.json", R"([{"name": "a.b"}])");
  EXPECT_EQ(
      load_tools(dotted).status().message(),
      "--tools " + dotted + ": tool 0: name \"a.b\" has characters outside A-Z, a-z, 0-9, _ and -");
  const std::string empty = dir_.write("empty.json", R"([{"name": ""}])");
  EXPECT_EQ(load_tools(empty).status().message(),
            "--tools " + empty + ": tool 0: name \"\" is empty");
  const std::string twice = dir_.write("twice.json", R"([{"name": "a"}, {"name": "b"},
      {"type": "function", "function": {"name": "a"}}])");
  EXPECT_EQ(load_tools(twice).status().message(),
            "--tools " + twice + ": tool 2: name \"a\" is already used by tool 0");
}

TEST_F(RequestInputsTools, ShapeErrorsNameTheFileAndTheTool) {
  struct Case {
    std::string json;
    std::string error;  // after "--tools FILE: "
  };
  const std::vector<Case> cases = {
      {R"({"name": "a"})", "expected a JSON array of tools, got an object"},
      {R"(["a"])", "tool 0: expected an object, got a string"},
      {R"([{"name": "a"}, {"description": "no name"}])", "tool 1: missing \"name\""},
      {R"([{"name": 7}])", "tool 0: \"name\" must be a string, got a number"},
      {R"([{"type": "web_search"}])",
       "tool 0: \"type\" is \"web_search\"; only \"function\" tools are supported"},
      {R"([{"type": "function", "function": "f"}])",
       "tool 0: \"function\" must be an object, got a string"},
      {R"([{"name": "a", "description": ["x"]}])",
       "tool 0: \"description\" must be a string, got an array"},
      {R"([{"name": "a", "parameters": []}])",
       "tool 0: \"parameters\" must be an object, got an array"},
      {R"([{"name": "a", "input_schema": null}])",
       "tool 0: \"input_schema\" must be an object, got null"},
      {R"([{"name": "a", "strict": "yes"}])",
       "tool 0: \"strict\" must be true or false, got a string"},
  };
  for (const Case& c : cases) {
    const std::string file = dir_.write("bad.json", c.json);
    EXPECT_EQ(load_tools(file).status(),
              Status(StatusCode::kInvalidArgument, "--tools " + file + ": " + c.error))
        << c.json;
  }
}

TEST_F(RequestInputsTools, InvalidJsonHasLineAndColumn) {
  const std::string trailing_comma = dir_.write("comma.json", "[\n  {\"name\": \"a\",}\n]");
  EXPECT_EQ(
      load_tools(trailing_comma).status(),
      Status(StatusCode::kInvalidArgument,
             "--tools " + trailing_comma + ": invalid JSON at line 2, column 16: syntax error"));
  const std::string two_values = dir_.write("two.json", "[]\n[]");
  EXPECT_EQ(load_tools(two_values).status().message(),
            "--tools " + two_values + ": invalid JSON at line 2, column 1: extra data");
  const std::string cut = dir_.write("cut.json", "[{\"name\":");
  EXPECT_EQ(load_tools(cut).status().message(),
            "--tools " + cut + ": invalid JSON at line 1, column 10: incomplete JSON");
  const std::string empty = dir_.write("empty.json", "");
  EXPECT_EQ(load_tools(empty).status().message(),
            "--tools " + empty + ": invalid JSON at line 1, column 1: incomplete JSON");
}

TEST_F(RequestInputsTools, MissingFile) {
  const std::string missing = dir_.path() + "/nope.json";
  EXPECT_EQ(load_tools(missing).status(),
            Status(StatusCode::kInvalidArgument,
                   "cannot read --tools " + missing + ": No such file or directory"));
}

// ---- load_schema ---------------------------------------------------------------------------

using RequestInputsSchema = RequestInputsTest;

TEST_F(RequestInputsSchema, BareSchemaInline) {
  const Result<ResponseFormat> format =
      load_schema(" \n {\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\"}}}");
  ASSERT_TRUE(format.ok()) << format.status().to_string();
  EXPECT_EQ(format->kind, ResponseFormat::Kind::kJsonSchema);
  EXPECT_EQ(format->name, "response");
  EXPECT_EQ(format->schema, R"({"type":"object","properties":{"n":{"type":"integer"}}})");
  EXPECT_TRUE(format->strict);
}

TEST_F(RequestInputsSchema, BareSchemaWithAPropertyCalledSchema) {
  const std::string file =
      dir_.write("s.json", R"({"type": "object", "properties": {"schema": {"type": "string"}}})");
  const Result<ResponseFormat> format = load_schema(file);
  ASSERT_TRUE(format.ok()) << format.status().to_string();
  EXPECT_EQ(format->name, "response");
  EXPECT_EQ(format->schema, R"({"type":"object","properties":{"schema":{"type":"string"}}})");
}

TEST_F(RequestInputsSchema, WrapperFromFile) {
  const std::string file = dir_.write("w.json", R"({
    "name": "weather_report",
    "strict": false,
    "description": "ignored",
    "schema": {"type": "object", "properties": {"temp": {"type": "number"}}}
  })");
  const Result<ResponseFormat> format = load_schema(file);
  ASSERT_TRUE(format.ok()) << format.status().to_string();
  EXPECT_EQ(format->kind, ResponseFormat::Kind::kJsonSchema);
  EXPECT_EQ(format->name, "weather_report");
  EXPECT_EQ(format->schema, R"({"type":"object","properties":{"temp":{"type":"number"}}})");
  EXPECT_FALSE(format->strict);
}

TEST_F(RequestInputsSchema, WholeOpenAIResponseFormat) {
  const Result<ResponseFormat> format = load_schema(
      R"({"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}})");
  ASSERT_TRUE(format.ok()) << format.status().to_string();
  EXPECT_EQ(format->name, "answer");
  EXPECT_EQ(format->schema, R"({"type":"object"})");
  EXPECT_TRUE(format->strict);
}

TEST_F(RequestInputsSchema, Errors) {
  EXPECT_EQ(load_schema(R"({"type": })").status(),
            Status(StatusCode::kInvalidArgument,
                   "--schema argument: invalid JSON at line 1, column 10: syntax error"));
  const std::string array = dir_.write("array.json", "[1]");
  EXPECT_EQ(load_schema(array).status(),
            Status(StatusCode::kInvalidArgument,
                   "--schema " + array + ": expected a JSON object (a JSON schema), got an array"));
  const std::string missing = dir_.path() + "/missing.json";
  EXPECT_EQ(load_schema(missing).status(),
            Status(StatusCode::kInvalidArgument,
                   "cannot read --schema " + missing + ": No such file or directory"));
  EXPECT_EQ(load_schema(R"({"name": "my schema", "schema": {}})").status().message(),
            "--schema argument: name \"my schema\" has characters outside A-Z, a-z, 0-9, _ and -");
  EXPECT_EQ(load_schema(R"({"name": 1, "schema": {}})").status().message(),
            "--schema argument: \"name\" must be a string, got a number");
  EXPECT_EQ(load_schema(R"({"schema": {}, "strict": "yes"})").status().message(),
            "--schema argument: \"strict\" must be true or false, got a string");
}

// ---- apply_provider_option -----------------------------------------------------------------

TEST(RequestInputsProviderOption, ValuesAreJsonWhenTheyParse) {
  std::string extra;
  for (const char* option : {"top_k=40", "service_tier=flex", R"(safety={"a":1})", "flag=true",
                             "none=null", R"(quoted="40")", "list=[1, 2.5]", "temperature=0.7",
                             "empty=", "stop==x", "big=1e999", R"(text=he said "hi")", "neg=-3"}) {
    ASSERT_TRUE(apply_provider_option(option, extra).ok()) << option;
  }
  EXPECT_EQ(extra, R"({"top_k":40,"service_tier":"flex","safety":{"a":1},"flag":true,"none":null,)"
                   R"("quoted":"40","list":[1,2.5],"temperature":0.7,"empty":"","stop":"=x",)"
                   R"("big":1e99999,"text":"he said \"hi\"","neg":-3})");
}

TEST(RequestInputsProviderOption, DottedKeysNest) {
  std::string extra;
  ASSERT_TRUE(apply_provider_option("a.b=1", extra).ok());
  EXPECT_EQ(extra, R"({"a":{"b":1}})");
  ASSERT_TRUE(apply_provider_option("a.c.d=x", extra).ok());
  EXPECT_EQ(extra, R"({"a":{"b":1,"c":{"d":"x"}}})");
  ASSERT_TRUE(apply_provider_option("a.b=2", extra).ok());
  EXPECT_EQ(extra, R"({"a":{"b":2,"c":{"d":"x"}}})");
  ASSERT_TRUE(apply_provider_option("a={}", extra).ok());
  EXPECT_EQ(extra, R"({"a":{}})");
}

TEST(RequestInputsProviderOption, MergesIntoExistingJson) {
  std::string extra = R"( { "x" : 1.5e0 , "y" : [ ], "z": {"k": "v"} } )";
  ASSERT_TRUE(apply_provider_option("x=3", extra).ok());
  EXPECT_EQ(extra, R"({"x":3,"y":[],"z":{"k":"v"}})");
  ASSERT_TRUE(apply_provider_option("z.n=null", extra).ok());
  EXPECT_EQ(extra, R"({"x":3,"y":[],"z":{"k":"v","n":null}})");
}

TEST(RequestInputsProviderOption, Errors) {
  for (const std::string bad : {"top_k", "=5", ""}) {
    std::string extra = R"({"keep":1})";
    EXPECT_EQ(apply_provider_option(bad, extra),
              Status(StatusCode::kInvalidArgument, "-o expects key=value, got '" + bad + "'"));
    EXPECT_EQ(extra, R"({"keep":1})");
  }
  for (const std::string key : {"a..b", ".a", "a."}) {
    std::string extra;
    EXPECT_EQ(apply_provider_option(key + "=1", extra),
              Status(StatusCode::kInvalidArgument,
                     "-o key '" + key + "' has an empty part between dots"));
    EXPECT_EQ(extra, "");
  }

  std::string extra = R"({"a":{"b":5}})";
  EXPECT_EQ(apply_provider_option("a.b.c=1", extra),
            Status(StatusCode::kInvalidArgument,
                   "-o a.b.c: 'a.b' is already set to a number, not an object"));
  EXPECT_EQ(extra, R"({"a":{"b":5}})");

  std::string array = "[1]";
  EXPECT_EQ(
      apply_provider_option("k=1", array),
      Status(StatusCode::kInvalidArgument, "extra body JSON must be an object, got an array"));
  std::string broken = "{";
  EXPECT_EQ(apply_provider_option("k=1", broken),
            Status(StatusCode::kInvalidArgument,
                   "extra body JSON: invalid JSON at line 1, column 2: incomplete JSON"));
  EXPECT_EQ(broken, "{");
}

}  // namespace
}  // namespace aisopod::cli
