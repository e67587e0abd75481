#!/usr/bin/env perl
# doxygen-md-filter.pl: the INPUT_FILTER of docs/Doxyfile for Markdown pages.
#
#   perl docs/doxygen-md-filter.pl docs/pitfalls.md | diff docs/pitfalls.md -
#
# The kit's Markdown is written for GitHub. Doxygen 1.9.4 (Debian 12) reads a few
# GitHub constructs differently, garbles the page or warns (and `make docs` treats
# every warning as an error). Doxygen runs this filter on each .md file it reads and
# parses what it prints; the files themselves are never changed. Every line comes out
# as one line, so doxygen's warnings still point at the right line of the file.
#
# What it rewrites (never inside ``` or ~~~ fences):
#  1. A code span in single backticks that holds an apostrophe (`'data'`,
#     `open '<path>'`): 1.9.4 takes the backtick for a LaTeX-style `quote', pairs the
#     backticks wrongly and garbles the rest of the paragraph (then `<path>` is an
#     unknown HTML tag). The span is written with double backticks, which it reads right.
#  2. `A \| B` in a code span: GitHub needs the escaped pipe inside a table cell,
#     1.9.4 prints the backslash. The span is split around an escaped pipe outside it.
#  3. `::ffff:127.0.0.1` is read as an explicit link to a global symbol `ffff` (a
#     warning): written `::%ffff`, which renders `::ffff`.
#  4. GitHub's heading anchors. GitHub gives each heading an id, its "slug" ("## 1.
#     Intended differences" -> #1-intended-differences), and pages link to it; 1.9.4
#     does not, so such a link is an unresolved \ref. Each heading after the page title
#     gets an explicit label {#<file>-<slug>}, and links to #slug, in this page or in
#     another page (other.md#slug), are pointed at that label.
#  5. A link to a .md file that is not one of doxygen's pages (outside INPUT, or not
#     written yet) would be an unresolved \ref: it becomes its link text.
#  6. A code span in a heading is printed as a literal "<tt>...</tt>": the backticks
#     of headings are dropped.
use strict;
use warnings;
use Cwd qw(getcwd abs_path);
use File::Basename qw(dirname);
use File::Spec;

my $root = getcwd();  # `make docs` runs doxygen from the repository root

# Which .md files are doxygen pages: keep in step with INPUT in docs/Doxyfile.
sub is_page {
    my ($rel) = @_;
    return $rel =~ m{^(README\.md|docs/[^/]+\.md|lessons/.+\.md|tests/README\.md)$};
}

# A path relative to the repository root, or undef if outside it.
sub rel_path {
    my ($abs) = @_;
    my $rel = File::Spec->abs2rel($abs, $root);
    return undef if $rel =~ m{^\.\./};
    return $rel;
}

# GitHub's slug of a heading: lower case, punctuation dropped, spaces become hyphens.
sub slug {
    my ($text) = @_;
    $text =~ s/\s*\{#[^}]*\}\s*$//;          # an explicit label already there
    $text =~ s/`//g;
    $text =~ s/\[([^\]]*)\]\([^)]*\)/$1/g;   # [text](link) -> text
    $text = lc $text;                         # ASCII letters; UTF-8 bytes stay as they are
    $text =~ s/[^\w\x80-\xff\- ]//g;
    $text =~ s/ /-/g;
    return $text;
}

# A doxygen label: letters, digits, '_' and '-' only; other bytes as hex.
sub label {
    my ($page, $slug) = @_;
    $slug =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;   # a URL-encoded link target
    my $l = "$page-$slug";
    $l =~ s/([^A-Za-z0-9_-])/sprintf('x%02x', ord($1))/ge;
    return $l;
}

sub page_id {
    my ($rel) = @_;
    (my $id = $rel) =~ s/\.md$//;
    $id =~ s{[^A-Za-z0-9]+}{_}g;
    return "md_$id";
}

# Rewrite the code spans of one line (rules 1 to 3 for the text inside backticks).
sub code_spans {
    my ($line) = @_;
    $line =~ s{(?<!`)(`+)([^`].*?)(?<!`)\1(?!`)}{
        my ($tick, $code) = ($1, $2);
        my ($open, $close) = (length($tick) == 1 && index($code, "'") >= 0) ? ('`` ', ' ``') : ($tick, $tick);
        $open . join($close . '\\|' . $open, split(/\\\|/, $code, -1)) . $close
    }ge;
    return $line;
}

my $file = $ARGV[0] // die "usage: $0 FILE.md\n";
my $abs  = abs_path($file) // $file;
my $dir  = dirname($abs);
my $self = page_id(rel_path($abs) // $file);

open(my $in, '<', $file) or die "$file: $!\n";
my ($fence, $seen_title, %used) = (0, 0);
while (my $line = <$in>) {
    if ($line =~ /^\s*(```|~~~)/) {
        $fence = !$fence;
        print $line;
        next;
    }
    if ($fence) {
        print $line;
        next;
    }

    # Rule 4, the heading side.
    if ($line =~ /^(#{1,6})\s+(.*?)\s*$/ && $line !~ /\{#[^}]*\}\s*$/) {
        my ($hashes, $text) = ($1, $2);
        (my $plain = $text) =~ s/`//g;                               # rule 6
        if (!$seen_title) {
            $seen_title = 1;  # the page title: doxygen names the page after it
            $line = "$hashes $plain\n";
        } else {
            my $s = slug($text);
            my $n = $used{$s}++;
            $s .= "-$n" if $n;  # GitHub numbers repeated headings: x, x-1, x-2
            $line = "$hashes $plain {#" . label($self, $s) . "}\n";
        }
    }

    $line =~ s/::ffff/::%ffff/g;                                     # rule 3
    $line = code_spans($line);                                       # rules 1 and 2

    # Rules 4 (the link side) and 5. Not inside code spans: those hold no links.
    $line =~ s{\[([^\]]*)\]\(([^()\s]*)\)}{
        my ($text, $target) = ($1, $2);
        if ($target =~ /^#(.+)$/) {
            "[$text](#" . label($self, $1) . ")";
        } elsif ($target =~ m{^([^:#?]+\.md)(?:#(.*))?$}) {
            my ($path, $anchor) = ($1, $2);
            my $t   = File::Spec->rel2abs($path, $dir);
            my $rel = -e $t ? rel_path(abs_path($t)) : undef;
            if (!defined $rel || !is_page($rel)) {
                $text;                                               # rule 5
            } elsif (defined $anchor && length $anchor) {
                "[$text](#" . label(page_id($rel), $anchor) . ")";
            } else {
                "[$text]($target)";
            }
        } else {
            "[$text]($target)";
        }
    }ge;
    print $line;
}
