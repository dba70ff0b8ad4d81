# A small "server" that builds some state and then dumps its own heap.
#   perl -Mblib examples/demo.pl /tmp/demo.pmat
use strict;
use warnings;
use Devel::MAT::Dumper;

package Session { sub new { my ( $class, %a ) = @_; bless {%a}, $class } }

our %SESSIONS;
for my $id ( 1 .. 1000 ) {
    $SESSIONS{$id} = Session->new( id => $id, user => "user$id", seen => [ time ] );
}

my $path = shift // '/tmp/demo.pmat';
Devel::MAT::Dumper::dump( $path );
print "wrote $path (", -s $path, " bytes)\n";
